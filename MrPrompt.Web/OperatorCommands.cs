using Microsoft.AspNetCore.Identity;
using MrPrompt.Domain.Accounts;
using MrPrompt.Infrastructure.Accounts;
using MrPrompt.Infrastructure.ApiKeys;
using MrPrompt.Infrastructure.Persistence;
using MrPrompt.Infrastructure.Persistence.RowSecurity;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Web;

/// <summary>
/// Commands for scripted installs, run by the same executable with the same configuration as the
/// app: <c>migrate</c>, <c>create-user --email E --password P --role R</c> and
/// <c>create-api-key --email E --name N</c>, which prints the new key alone on its own line, and
/// <c>set-budget --email E --usd N</c> (a monthly cap in US dollars; <c>none</c> removes it).
/// They exit 0 on success and 2 with a one-line reason on a mistake.
/// </summary>
public static class OperatorCommands
{
    private const int Done = 0;
    private const int Mistake = 2;

    private static readonly string[] Names = ["migrate", "create-user", "create-api-key", "set-budget"];

    public static bool IsCommand(string[] args) => args.Length > 0 && Names.Contains(args[0], StringComparer.Ordinal);

    public static async Task<int> RunAsync(IServiceProvider services, string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        if (ParseOptions(args[1..]) is not { } options)
        {
            await error.WriteLineAsync($"Options come in pairs such as --email someone@example.com. Got: {string.Join(' ', args[1..])}");
            return Mistake;
        }
        // An operator at the server's console acts for any account.
        using var acrossAccounts = DataScope.AsSystem($"operator command {args[0]}");
        return args[0] switch
        {
            "migrate" => await MigrateAsync(services, output, cancellationToken),
            "create-user" => await CreateUserAsync(services, options, output, error, cancellationToken),
            "set-budget" => await SetBudgetAsync(services, options, output, error),
            _ => await CreateApiKeyAsync(services, options, output, error, cancellationToken),
        };
    }

    private static async Task<int> MigrateAsync(IServiceProvider services, TextWriter output, CancellationToken cancellationToken)
    {
        await services.GetRequiredService<DatabaseStartup>().MigrateAsync(cancellationToken);
        await output.WriteLineAsync("The database schema is up to date.");
        return Done;
    }

    private static async Task<int> CreateUserAsync(
        IServiceProvider services, IReadOnlyDictionary<string, string> options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (Missing(options, error, "email", "password") is { } missing)
        {
            return missing;
        }
        // Without --role, a plain User: more is a choice to make, not a default.
        var asked = options.GetValueOrDefault("role", AppRoles.User);
        var role = AppRoles.All.FirstOrDefault(r => r.Equals(asked, StringComparison.OrdinalIgnoreCase));
        if (role is null)
        {
            await error.WriteLineAsync($"Unknown role '{asked}'. Use one of: {string.Join(", ", AppRoles.All)}.");
            return Mistake;
        }
        await using var scope = services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<AccountRegistrar>().RegisterAsync(options["email"], options["password"], role, cancellationToken);
        if (result.UserId is null)
        {
            await error.WriteLineAsync($"The account was not created: {string.Join(" ", result.Errors.ByField.Values.SelectMany(m => m))}");
            return Mistake;
        }
        await output.WriteLineAsync($"Created {options["email"]} with the role {role}.");
        return Done;
    }

    private static async Task<int> CreateApiKeyAsync(
        IServiceProvider services, IReadOnlyDictionary<string, string> options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (Missing(options, error, "email", "name") is { } missing)
        {
            return missing;
        }
        await using var scope = services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(options["email"]);
        if (user is null)
        {
            await error.WriteLineAsync($"There is no account with the email {options["email"]}.");
            return Mistake;
        }
        // --scope admin: the key may also call the admin API (its owner still has to be an Admin).
        var scopes = options.TryGetValue("scope", out var asked) ? asked.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
        var created = await services.GetRequiredService<ApiKeyService>().CreateAsync(user.Id, options["name"], null, [], cancellationToken, scopes);
        if (created.Created is not { } key)
        {
            await error.WriteLineAsync($"The key was not created: {string.Join(" ", created.Errors.ByField.Values.SelectMany(m => m))}");
            return Mistake;
        }
        // Alone on standard output (the log goes to standard error), so scripts can take it as it is.
        await output.WriteLineAsync(key.Secret);
        return Done;
    }

    private static async Task<int> SetBudgetAsync(IServiceProvider services, IReadOnlyDictionary<string, string> options, TextWriter output, TextWriter error)
    {
        if (Missing(options, error, "email", "usd") is { } missing)
        {
            return missing;
        }
        if (!MrPrompt.Domain.Usage.Budgets.TryParse(options["usd"], out var budget) || MrPrompt.Domain.Usage.Budgets.Validate(budget) is not null)
        {
            await error.WriteLineAsync($"--usd must be an amount of US dollars between 0 and 1000000 (such as 25.50), or none. Got: {options["usd"]}");
            return Mistake;
        }
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByEmailAsync(options["email"]);
        if (user is null)
        {
            await error.WriteLineAsync($"There is no account with the email {options["email"]}.");
            return Mistake;
        }
        user.MonthlyBudgetUsd = budget;
        var updated = await users.UpdateAsync(user);
        if (!updated.Succeeded)
        {
            await error.WriteLineAsync($"The budget was not changed: {string.Join(" ", updated.Errors.Select(e => e.Description))}");
            return Mistake;
        }
        await output.WriteLineAsync(budget is { } set
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{options["email"]} may now spend ${set:0.00} a month.")
            : $"{options["email"]} now has the default monthly budget.");
        return Done;
    }

    private static int? Missing(IReadOnlyDictionary<string, string> options, TextWriter error, params string[] required)
    {
        var missing = required.Where(r => !options.ContainsKey(r)).ToList();
        if (missing.Count == 0)
        {
            return null;
        }
        error.WriteLine($"Missing {string.Join(", ", missing.Select(m => "--" + m))}.");
        return Mistake;
    }

    /// <summary><c>--name value</c> pairs by name; null when they do not pair up.</summary>
    private static Dictionary<string, string>? ParseOptions(string[] args)
    {
        if (args.Length % 2 != 0)
        {
            return null;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i].Length < 3)
            {
                return null;
            }
            options[args[i][2..]] = args[i + 1];
        }
        return options;
    }
}
