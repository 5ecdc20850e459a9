using Microsoft.AspNetCore.Identity;
using MrPrompt.Domain.Common;

namespace MrPrompt.Infrastructure.Accounts;

/// <summary>Places Identity's errors next to the field they concern on the registration form.</summary>
public static class IdentityErrorFields
{
    public const string Email = "Email";
    public const string Password = "Password";
    public const string Form = "";

    public static FieldErrors ToFieldErrors(IEnumerable<IdentityError> errors)
    {
        var result = new FieldErrors();
        foreach (var error in errors)
        {
            result.Add(FieldOf(error.Code), Describe(error));
        }
        return result;
    }

    private static string FieldOf(string code) =>
        code.StartsWith("Password", StringComparison.Ordinal) ? Password
        : code.Contains("Email", StringComparison.Ordinal) || code.Contains("UserName", StringComparison.Ordinal) ? Email
        : Form;

    // With the email as user name Identity reports a duplicate twice, once per property, with
    // different words; one message is enough.
    private static string Describe(IdentityError error) => error.Code switch
    {
        "DuplicateUserName" or "DuplicateEmail" => "An account with this email already exists.",
        "InvalidUserName" or "InvalidEmail" => "Enter a valid email address.",
        _ => error.Description,
    };
}
