using Microsoft.AspNetCore.Identity;

namespace MrPrompt.Infrastructure.Security;

/// <summary>An account: the email is its user name. Display data lives in <see cref="Domain.Profiles.Profile"/>.</summary>
public sealed class ApplicationUser : IdentityUser<Guid>;
