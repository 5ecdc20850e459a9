namespace MrPrompt.Domain.Accounts;

/// <summary>
/// The three roles of MrPrompt. Each account holds exactly one: Users chat and keep private prompts,
/// Authors may also publish prompts, Admins also run the console.
/// </summary>
public static class AppRoles
{
    public const string Admin = "Admin";
    public const string Author = "Author";
    public const string User = "User";

    public static IReadOnlyList<string> All { get; } = [Admin, Author, User];
}
