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
        if (!File.Exists(path))
        {
            return Create(path, PasswordMadeIfMissing(settings));
        }
        var (known, source) = GeneratedCertificatePassword(settings, makeIfMissing: false);
        if (known is not null && TryLoad(path, known) is { } certificate)
        {
            return certificate;
        }
        // A certificate generated before it had a password: encrypted now, in place, by a password (made
        // only now, so a missing password file never hides behind a new one for an encrypted certificate).
        if (TryLoad(path, null) is { } unprotected)
        {
            WritePrivately(path, Encrypt(unprotected, PasswordMadeIfMissing(settings)), replace: true);
            return unprotected;
        }
        throw new StartupException(known is null
            ? $"The key-ring certificate {path} is encrypted, and its password is not in {source}: restore that file, or set DataProtection:CertificatePassword."
            : $"The key-ring certificate {path} could not be opened with the password from {source}.");
    }

    /// <summary>
    /// The configured password, or the generated one in its file (made when <paramref name="makeIfMissing"/>);
    /// null when there is neither. The source names where it was looked for.
    /// </summary>
    private static (string? Password, string Source) GeneratedCertificatePassword(DataProtectionSettings settings, bool makeIfMissing)
    {
        if (!string.IsNullOrEmpty(settings.CertificatePassword))
        {
            return (settings.CertificatePassword, "DataProtection:CertificatePassword");
        }
        var passwordPath = settings.ResolvePasswordPath()
            ?? throw new StartupException("There is no configuration folder to keep the key-ring password in: set DataProtection:CertificatePassword or DataProtection:CertificatePasswordPath.");
        if (!File.Exists(passwordPath))
        {
            if (!makeIfMissing)
            {
                return (null, passwordPath);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(passwordPath)!);
            WritePrivately(passwordPath, System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))), replace: false);
        }
        return (File.ReadAllText(passwordPath).Trim(), passwordPath);
    }

    private static string PasswordMadeIfMissing(DataProtectionSettings settings) =>
        GeneratedCertificatePassword(settings, makeIfMissing: true).Password!;

    /// <summary>PKCS#12 with AES-256 and SHA-256 (PBES2), not the legacy 3DES the parameterless export uses.</summary>
    private static byte[] Encrypt(X509Certificate2 certificate, string password) =>
        certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);

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
        var pfx = Encrypt(created, password);
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
