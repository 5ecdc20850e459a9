using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Security;

namespace MrPrompt.Tests.Credentials;

/// <summary>
/// The generated key-ring certificate: useless to whoever copies the data folder (or reads the file through
/// the database server) without the password kept elsewhere.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class KeyRingCertificateTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mrp-keyring-").FullName;
    private string DataDir => Path.Combine(_root, ".data", "postgres");
    private string CertificateFile => Path.Combine(_root, ".data", "keys", "dataprotection.pfx");
    private string PasswordFile => Path.Combine(_root, "config", "keyring-password");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_generated_certificate_needs_a_generated_password_kept_outside_the_data_folder()
    {
        var settings = new DataProtectionSettings { CertificatePasswordPath = PasswordFile };

        using var first = KeyRingCertificate.LoadOrCreate(settings, DataDir);
        using var again = KeyRingCertificate.LoadOrCreate(settings, DataDir);

        Assert.True(first.HasPrivateKey);
        Assert.Equal(first.Thumbprint, again.Thumbprint);
        Assert.Throws<CryptographicException>(() => X509CertificateLoader.LoadPkcs12FromFile(CertificateFile, null));
        var password = File.ReadAllText(PasswordFile).Trim();
        Assert.True(password.Length >= 40);
        Assert.False(PasswordFile.StartsWith(Path.Combine(_root, ".data"), StringComparison.Ordinal));
        using var opened = X509CertificateLoader.LoadPkcs12FromFile(CertificateFile, password);
        Assert.Equal(first.Thumbprint, opened.Thumbprint);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PasswordFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CertificateFile));
    }

    [Fact]
    public void A_configured_password_encrypts_the_generated_certificate_and_a_wrong_one_stops_the_start()
    {
        using var created = KeyRingCertificate.LoadOrCreate(new DataProtectionSettings { CertificatePassword = "correct horse" }, DataDir);

        using var opened = X509CertificateLoader.LoadPkcs12FromFile(CertificateFile, "correct horse");
        Assert.Equal(created.Thumbprint, opened.Thumbprint);
        Assert.False(File.Exists(PasswordFile));
        var refused = Assert.Throws<StartupException>(() => KeyRingCertificate.LoadOrCreate(new DataProtectionSettings { CertificatePassword = "battery staple" }, DataDir));
        Assert.Contains("DataProtection:CertificatePassword", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("battery staple", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encrypted_certificate_whose_password_file_is_gone_stops_the_start_and_no_new_password_is_made()
    {
        var settings = new DataProtectionSettings { CertificatePasswordPath = PasswordFile };
        using (KeyRingCertificate.LoadOrCreate(settings, DataDir))
        {
        }
        File.Delete(PasswordFile);

        var refused = Assert.Throws<StartupException>(() => KeyRingCertificate.LoadOrCreate(settings, DataDir));

        Assert.Contains(PasswordFile, refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(PasswordFile));
    }

    [Fact]
    public void A_certificate_generated_without_a_password_is_encrypted_in_place_and_keeps_its_key()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CertificateFile)!);
        using var rsa = RSA.Create(2048);
        using var old = new CertificateRequest("CN=MrPrompt key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(CertificateFile, old.Export(X509ContentType.Pkcs12));

        using var upgraded = KeyRingCertificate.LoadOrCreate(new DataProtectionSettings { CertificatePasswordPath = PasswordFile }, DataDir);

        Assert.Equal(old.Thumbprint, upgraded.Thumbprint);
        Assert.Throws<CryptographicException>(() => X509CertificateLoader.LoadPkcs12FromFile(CertificateFile, null));
        using var opened = X509CertificateLoader.LoadPkcs12FromFile(CertificateFile, File.ReadAllText(PasswordFile).Trim());
        Assert.True(opened.HasPrivateKey);
    }

    [Fact]
    public void A_configured_certificate_file_that_is_missing_stops_the_start_naming_the_path()
    {
        var missing = Path.Combine(_root, "operator", "keyring.pfx");

        var refused = Assert.Throws<StartupException>(() => KeyRingCertificate.LoadOrCreate(
            new DataProtectionSettings { CertificatePath = missing, CertificatePassword = "operator's" }, DataDir));

        Assert.Equal($"DataProtection:CertificatePath is {missing}, but there is no file there.", refused.Message);
        Assert.False(File.Exists(missing)); // an operator's certificate is never made up in its place
    }

    [Fact]
    public void A_configured_certificate_file_that_is_not_a_certificate_stops_the_start_without_quoting_the_password()
    {
        var garbage = Path.Combine(_root, "keyring.pfx");
        File.WriteAllText(garbage, "this is not a PKCS#12 file");

        var refused = Assert.Throws<StartupException>(() => KeyRingCertificate.LoadOrCreate(
            new DataProtectionSettings { CertificatePath = garbage, CertificatePassword = "hunter2-secret" }, DataDir));

        Assert.Contains(garbage, refused.Message, StringComparison.Ordinal);
        Assert.Contains("could not be opened", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-secret", refused.Message, StringComparison.Ordinal);
        Assert.Equal("this is not a PKCS#12 file", File.ReadAllText(garbage)); // left as it was
    }
}
