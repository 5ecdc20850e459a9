using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MrPrompt.Infrastructure.Security;

/// <summary>
/// The certificate that protects the key ring: the configured one, or a private one created on first
/// start and encrypted by a password that lives elsewhere (the setting, or a generated file outside the
/// data folder).
/// </summary>
internal static class KeyRingCertificate
{
    /// <summary>
    /// One at a time within a process (hosts built side by side, as tests do): making the password, the
    /// certificate or encrypting an old one must not interleave. File.Move without overwrite checks and then
    /// renames, so it cannot arbitrate on its own.
    /// </summary>
    private static readonly Lock Making = new();

    public static X509Certificate2 LoadOrCreate(DataProtectionSettings settings, string embeddedDataDir)
    {
        lock (Making)
        {
            return LoadOrCreateAlone(settings, embeddedDataDir);
        }
    }

    private static X509Certificate2 LoadOrCreateAlone(DataProtectionSettings settings, string embeddedDataDir)
    {
        var path = settings.ResolveCertificatePath(embeddedDataDir);
        if (!settings.GeneratesCertificate)
        {
            return File.Exists(path)
                ? Load(path, settings.CertificatePassword, "DataProtection:CertificatePassword")
                : throw new StartupException($"DataProtection:CertificatePath is {path}, but there is no file there.");
        }
        var (password, source) = GeneratedCertificatePassword(settings);
        if (!File.Exists(path))
        {
            return Create(path, password);
        }
        if (TryLoad(path, password) is { } certificate)
        {
            return certificate;
        }
        // A certificate generated before it had a password: encrypted now, in place, by the password.
        if (TryLoad(path, null) is { } unprotected)
        {
            WritePrivately(path, unprotected.Export(X509ContentType.Pkcs12, password), replace: true);
            return unprotected;
        }
        // Another process starting at the same moment may have just encrypted it.
        if (TryLoad(path, password) is { } encryptedMeanwhile)
        {
            return encryptedMeanwhile;
        }
        throw new StartupException($"The key-ring certificate {path} could not be opened with the password from {source}.");
    }

    private static (string Password, string Source) GeneratedCertificatePassword(DataProtectionSettings settings)
    {
        if (!string.IsNullOrEmpty(settings.CertificatePassword))
        {
            return (settings.CertificatePassword, "DataProtection:CertificatePassword");
        }
        var passwordPath = settings.ResolvePasswordPath()
            ?? throw new StartupException("There is no configuration folder to keep the key-ring password in: set DataProtection:CertificatePassword or DataProtection:CertificatePasswordPath.");
        if (!File.Exists(passwordPath))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(passwordPath)!);
            WritePrivately(passwordPath, System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), replace: false);
        }
        return (File.ReadAllText(passwordPath).Trim(), passwordPath);
    }

    private static X509Certificate2 Load(string path, string? password, string source) =>
        TryLoad(path, password) ?? throw new StartupException($"DataProtection:CertificatePath points at {path}, which could not be opened. Check {source}.");

    private static X509Certificate2? TryLoad(string path, string? password)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static X509Certificate2 Create(string path, string password)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest("CN=MrPrompt key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(100));
        var pfx = created.Export(X509ContentType.Pkcs12, password);
        return WritePrivately(path, pfx, replace: false)
            ? X509CertificateLoader.LoadPkcs12(pfx, password)
            : X509CertificateLoader.LoadPkcs12FromFile(path, password); // another process won the race
    }

    /// <summary>
    /// Written private from the first byte (as secret as every provider key behind it), then moved into
    /// place, so two processes starting together never read half a file. False when, not replacing,
    /// another process put its file there first.
    /// </summary>
    private static bool WritePrivately(string path, byte[] content, bool replace)
    {
        var draft = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(draft, options))
        {
            file.Write(content);
        }
        try
        {
            File.Move(draft, path, overwrite: replace);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(draft);
            return false;
        }
    }
}
