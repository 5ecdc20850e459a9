using MrPrompt.Domain.Profiles;
using MrPrompt.Infrastructure.Profiles;

namespace MrPrompt.Web.Components.Layout;

/// <summary>
/// The signed-in user's colour scheme for this circuit. The layout renders it, the settings page and
/// the app bar change it, and every change is saved to the profile so it follows the user.
/// </summary>
public sealed class ThemeState(ProfileService profiles)
{
    private Guid? _userId;

    public ThemePreference Preference { get; private set; } = ThemePreference.System;

    public event Action? Changed;

    public async Task LoadAsync(Guid? userId, CancellationToken cancellationToken = default)
    {
        _userId = userId;
        Preference = userId is { } id ? await profiles.GetThemeAsync(id, cancellationToken) : ThemePreference.System;
    }

    public async Task SetAsync(ThemePreference preference)
    {
        Preference = preference;
        if (_userId is { } id)
        {
            await profiles.SetThemeAsync(id, preference);
        }
        Changed?.Invoke();
    }
}
