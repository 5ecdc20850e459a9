// A picture that does not load is hidden, leaving the initial under it in view: one listener serves
// every avatar, on pages as first served and as the circuit redraws them.
(() => {
    const isAvatar = target => target instanceof HTMLImageElement && target.classList.contains("mrp-avatar-img");
    document.addEventListener("error", event => {
        if (isAvatar(event.target)) {
            event.target.dataset.broken = "";
        }
    }, true);
    document.addEventListener("load", event => {
        if (isAvatar(event.target)) {
            delete event.target.dataset.broken;
        }
    }, true);
    // Pictures that failed before this script ran.
    for (const image of document.querySelectorAll("img.mrp-avatar-img")) {
        if (image.complete && image.naturalWidth === 0) {
            image.dataset.broken = "";
        }
    }
})();
