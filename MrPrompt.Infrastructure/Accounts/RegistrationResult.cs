using MrPrompt.Domain.Common;

namespace MrPrompt.Infrastructure.Accounts;

public sealed record RegistrationResult(Guid? UserId, string? Role, FieldErrors Errors)
{
    public bool Succeeded => UserId is not null;

    public static RegistrationResult Failed(FieldErrors errors) => new(null, null, errors);
}
