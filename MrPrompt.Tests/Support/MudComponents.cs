using Bunit;
using MudBlazor.Services;

namespace MrPrompt.Tests.Support;

/// <summary>A bUnit context that can render MudBlazor components (their services, loose JS interop).</summary>
public static class MudComponents
{
    public static BunitContext CreateContext()
    {
        var context = new BunitContext();
        context.Services.AddMudServices();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        return context;
    }
}
