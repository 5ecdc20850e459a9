using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using MrPrompt.Infrastructure.Security;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Credentials;

/// <summary>Encryption of provider keys with the real key ring in Postgres.</summary>
public sealed class CredentialProtectorTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private CredentialProtector Protector => database.Services.GetRequiredService<CredentialProtector>();

    [Fact]
    public void Round_trip_returns_the_key_and_the_ciphertext_does_not_contain_it()
    {
        var protectedKey = Protector.Protect("sk-round-trip-1234");

        Assert.DoesNotContain("round-trip", protectedKey);
        Assert.Equal("sk-round-trip-1234", Protector.TryUnprotect(protectedKey));
    }

    [Fact]
    public void Tampered_ciphertext_is_refused_not_decrypted_to_garbage()
    {
        var bytes = Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(Protector.Protect("sk-tamper-1234"));
        for (var i = 0; i < bytes.Length; i += 7)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0x80;
            Assert.Null(Protector.TryUnprotect(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(copy)));
        }
        Assert.Null(Protector.TryUnprotect("not even base64 !!"));
    }

    [Fact]
    public void After_key_rollover_new_secrets_use_the_new_key_and_old_ones_still_decrypt()
    {
        var before = Protector.Protect("sk-before-rollover");
        var keys = database.Services.GetRequiredService<IKeyManager>();
        var now = DateTimeOffset.UtcNow;
        var newKey = keys.CreateNewKey(activationDate: now, expirationDate: now.AddDays(90));
        // Data Protection holds a new key back until it has had time to reach every server; a
        // restarted app three days later reads the ring again and protects with the new key.
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now.AddDays(3));
        using var restarted = TestDatabase.BuildServices(database.ConnectionString, later);
        var afterRollover = restarted.GetRequiredService<CredentialProtector>();

        var after = afterRollover.Protect("sk-after-rollover");

        Assert.Equal("sk-before-rollover", afterRollover.TryUnprotect(before));
        Assert.Equal("sk-after-rollover", afterRollover.TryUnprotect(after));
        Assert.Equal(newKey.KeyId, KeyIdOf(after));
        Assert.NotEqual(KeyIdOf(before), KeyIdOf(after));
    }

    /// <summary>Data Protection payloads start with a 4-byte magic header, then the 16-byte key id.</summary>
    private static Guid KeyIdOf(string protectedText) =>
        new(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(protectedText).AsSpan(4, 16));
}
