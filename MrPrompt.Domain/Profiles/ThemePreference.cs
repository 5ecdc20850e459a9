namespace MrPrompt.Domain.Profiles;

/// <summary>The colour scheme a user chose; <see cref="System"/> follows the browser.</summary>
public enum ThemePreference
{
    System,
    Light,
    Dark,
}
