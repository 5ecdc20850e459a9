// Browser-side helpers of the chat page: keyboard sending, scroll following and copying.
// The page owns all state; these only touch the DOM elements they are given.

/**
 * Enter sends, Shift+Enter adds a line; typing with an IME (composition) never sends.
 * Text over maxLength never leaves the browser: a long paste would otherwise travel whole over the
 * circuit, which closes on a message larger than it accepts. The server hears only its length.
 */
export function attachComposer(inputId, dotnet, maxLength) {
    const input = document.getElementById(inputId);
    if (!input || input.dataset.composer === "on") {
        return;
    }
    input.dataset.composer = "on";
    const tooLong = () => input.value.length > maxLength;
    input.addEventListener("keydown", event => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            if (!tooLong()) {
                // The text travels with the call: the input's own binding may not have reached the server yet.
                dotnet.invokeMethodAsync("SubmitFromKeyboard", input.value);
            }
        }
    });
    guardLength(input, dotnet, maxLength);
}

/**
 * Files dropped on the composer, or pasted into it (a screenshot, say), go to its file input as if picked there,
 * so Blazor reads them the same way.
 */
export function acceptDroppedFiles(composerId, fileInputSelector) {
    const composer = document.getElementById(composerId);
    if (!composer || composer.dataset.files === "on") {
        return;
    }
    composer.dataset.files = "on";
    const hand = files => {
        // The upload keeps a fresh input for the next pick after each one: the newest is the live one.
        const inputs = composer.querySelectorAll(fileInputSelector);
        const input = inputs[inputs.length - 1];
        if (!input || !files || files.length === 0) {
            return false;
        }
        const transfer = new DataTransfer();
        for (const file of files) {
            transfer.items.add(file);
        }
        input.files = transfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        return true;
    };
    composer.addEventListener("dragover", event => event.preventDefault());
    composer.addEventListener("drop", event => {
        event.preventDefault();
        hand(event.dataTransfer?.files);
    });
    composer.addEventListener("paste", event => {
        if (event.clipboardData?.files?.length > 0 && hand(event.clipboardData.files)) {
            event.preventDefault();
        }
    });
}

/** Keeps text longer than maxLength from Blazor's bindings and reports only its length (see attachComposer). */
function guardLength(input, dotnet, maxLength) {
    // Blazor listens on the document as events bubble up; stopping them at the input keeps the text here.
    const stopWhenTooLong = event => {
        if (input.value.length > maxLength) {
            event.stopPropagation();
            dotnet.invokeMethodAsync("ReportTooLong", input.value.length);
        }
    };
    input.addEventListener("input", stopWhenTooLong);
    input.addEventListener("change", stopWhenTooLong);
}

/**
 * Moves the focus to the prompt picker's search, taking along what was typed after the "/" that opened
 * it: a quick "/greet" otherwise left "greet" in the message box, and the picker unfiltered.
 */
export async function focusPickerSearch(searchId, composerId) {
    // The dialog draws its content a frame or more after the picker itself renders: on a busy server, well
    // over a hundred frames (CI saw the picker open unfocused), so the wait is ten seconds, not a frame count.
    let search = document.getElementById(searchId);
    const giveUpAt = performance.now() + 10_000;
    while (!search && performance.now() < giveUpAt) {
        await new Promise(resolve => requestAnimationFrame(resolve));
        search = document.getElementById(searchId);
    }
    if (!search) {
        return;
    }
    const composer = composerId ? document.getElementById(composerId) : null;
    if (composer && composer.value.startsWith("/")) {
        const typed = composer.value.slice(1);
        composer.value = "";
        composer.dispatchEvent(new Event("input", { bubbles: true }));
        if (typed && !search.value) {
            search.value = typed;
            search.dispatchEvent(new Event("input", { bubbles: true }));
        }
    }
    search.focus();
}

/**
 * Keeps the newest text in view while it grows, unless the reader scrolled up to read earlier text. Returns
 * whether the list is followed: false when the element is not on the page (yet).
 */
export function followScroll(container) {
    if (!(container instanceof HTMLElement)) {
        return false;
    }
    if (container.dataset.follow) {
        return true;
    }
    container.dataset.follow = "on";
    const nearBottom = () => container.scrollHeight - container.scrollTop - container.clientHeight < 48;
    container.addEventListener("scroll", () => {
        container.dataset.follow = nearBottom() ? "on" : "off";
    });
    new MutationObserver(() => {
        // Scrolled up since it was last pinned to the end (the scroll event may not have arrived yet): a
        // click on an earlier message must not see the list jump away under the pointer (a ripple is a mutation).
        if (container.scrollTop < Number(container.dataset.pinnedAt ?? 0) - 1) {
            container.dataset.follow = "off";
        }
        if (container.dataset.follow === "on") {
            pinToEnd(container);
        }
    }).observe(container, { childList: true, subtree: true, characterData: true });
    pinToEnd(container);
    return true;
}

/** Scrolls to the end and resumes following (after sending a message). */
export function scrollToEnd(container) {
    if (container instanceof HTMLElement) {
        container.dataset.follow = "on";
        pinToEnd(container);
    }
}

function pinToEnd(container) {
    container.scrollTop = container.scrollHeight;
    container.dataset.pinnedAt = String(container.scrollTop);
}

export async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return;
    }
    // Plain-HTTP installs have no clipboard API; the old selection route still works there.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
}

// Copy buttons of code blocks come from rendered Markdown, which carries no handlers: one listener serves all.
document.addEventListener("click", async event => {
    const button = event.target instanceof Element ? event.target.closest(".mrp-code-copy") : null;
    const code = button?.closest(".mrp-code")?.querySelector("pre");
    if (!code) {
        return;
    }
    await copyText(code.innerText);
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
});
