using Microsoft.AspNetCore.Identity;
using MrPrompt.Infrastructure.Accounts;

namespace MrPrompt.Tests.Accounts;

public sealed class IdentityErrorFieldsTests
{
    private static readonly IdentityErrorDescriber Describer = new();

    [Fact]
    public void A_duplicate_account_is_one_message_on_the_email_field()
    {
        var errors = IdentityErrorFields.ToFieldErrors([Describer.DuplicateUserName("a@b.c"), Describer.DuplicateEmail("a@b.c")]);
        Assert.Equal(["An account with this email already exists."], errors.For(IdentityErrorFields.Email));
        Assert.Empty(errors.For(IdentityErrorFields.Password));
    }

    [Fact]
    public void Password_rules_land_on_the_password_field()
    {
        var errors = IdentityErrorFields.ToFieldErrors([Describer.PasswordTooShort(8), Describer.PasswordRequiresDigit()]);
        Assert.Equal(2, errors.For(IdentityErrorFields.Password).Count);
        Assert.Empty(errors.For(IdentityErrorFields.Email));
    }

    [Fact]
    public void Other_errors_are_shown_for_the_whole_form()
    {
        var errors = IdentityErrorFields.ToFieldErrors([Describer.ConcurrencyFailure()]);
        Assert.Single(errors.For(IdentityErrorFields.Form));
    }
}
