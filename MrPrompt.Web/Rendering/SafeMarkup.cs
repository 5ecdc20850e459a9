using AngleSharp.Dom;
using Ganss.Xss;

namespace MrPrompt.Web.Rendering;

/// <summary>The allow-list for rendered model output: what Markdown makes, and nothing that runs.</summary>
internal static class SafeMarkup
{
    private static readonly string[] Tags =
    [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "ins", "mark", "sub", "sup",
        "code", "pre", "kbd", "blockquote", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
        "tr", "th", "td", "a", "span", "div", "input", "button",
    ];

    private static readonly string[] Attributes = ["href", "title", "class", "type", "checked", "disabled", "start", "style"];

    /// <summary>
    /// The classes the renderer itself writes (code blocks, task lists). Any other class is dropped: a
    /// class chosen by model output could borrow the page's own styles, say MudBlazor's <c>mud-overlay</c>,
    /// to cover the screen with a fake dialog.
    /// </summary>
    private static readonly HashSet<string> RendererClasses = new(StringComparer.Ordinal)
    {
        "mrp-code", "mrp-code-bar", "mrp-code-lang", "mrp-code-copy", "mrp-plain",
        "contains-task-list", "task-list-item", "task-list-item-checkbox",
    };

    public static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer(new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(Tags, StringComparer.OrdinalIgnoreCase),
            AllowedAttributes = new HashSet<string>(Attributes, StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(["http", "https", "mailto"], StringComparer.OrdinalIgnoreCase),
            UriAttributes = new HashSet<string>(["href"], StringComparer.OrdinalIgnoreCase),
            // Table alignment is the only style Markdown writes.
            AllowedCssProperties = new HashSet<string>(["text-align"], StringComparer.OrdinalIgnoreCase),
        });
        sanitizer.RemovingTag += (_, e) => ReplaceImageWithLink(e.Tag);
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is IElement { TagName: "A" } link)
            {
                // Links leave the app in a new tab and tell the target nothing about where they came from.
                link.SetAttribute("target", "_blank");
                link.SetAttribute("rel", "noopener noreferrer nofollow");
            }
            else if (e.Node is IElement { TagName: "INPUT" } input && input.GetAttribute("type") != "checkbox")
            {
                input.Remove();
                return;
            }
            if (e.Node is IElement element)
            {
                KeepOnlyRendererStyling(element);
            }
        };
        return sanitizer;
    }

    private static void KeepOnlyRendererStyling(IElement element)
    {
        if (element.HasAttribute("class"))
        {
            // Inside a highlighted code block, spans carry ColorCode's scope classes: plain words, never a page class.
            var highlighted = element.TagName == "SPAN" && element.Closest("div.mrp-code pre") is not null;
            var kept = element.ClassList.Where(c => RendererClasses.Contains(c) || (highlighted && c.All(char.IsAsciiLetter))).ToList();
            if (kept.Count == 0)
            {
                element.RemoveAttribute("class");
            }
            else
            {
                element.SetAttribute("class", string.Join(' ', kept));
            }
        }
        // Table alignment is the one style Markdown writes, on cells only.
        if (element.HasAttribute("style") && element.TagName is not ("TH" or "TD"))
        {
            element.RemoveAttribute("style");
        }
    }

    /// <summary>
    /// Images in model output are not loaded: a crafted image address can carry the conversation to
    /// a stranger's server the moment it renders. A plain link shows where it points instead.
    /// </summary>
    private static void ReplaceImageWithLink(IElement tag)
    {
        if (tag.TagName != "IMG" || tag.GetAttribute("src") is not { } source
            || !Uri.TryCreate(source, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return;
        }
        var link = tag.Owner!.CreateElement("a");
        link.SetAttribute("href", uri.AbsoluteUri);
        link.TextContent = "🖼 " + (string.IsNullOrWhiteSpace(tag.GetAttribute("alt")) ? uri.Host : tag.GetAttribute("alt"));
        tag.Parent?.InsertBefore(link, tag);
    }
}
