using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MrPrompt.Infrastructure.Security;

/// <summary>The certificate that protects the key ring: the configured one, or a private one created on first start.</summary>
internal static class KeyRingCertificate
{
    public static X509Certificate2 LoadOrCreate(DataProtectionSettings settings, string embeddedDataDir)
    {
        var path = settings.ResolveCertificatePath(embeddedDataDir);
        if (File.Exists(path))
        {
            try
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword);
            }
            catch (CryptographicException ex)
            {
                throw new StartupException(
                    $"DataProtection:CertificatePath points at {path}, which could not be opened: {ex.Message} Check DataProtection:CertificatePassword.", ex);
            }
        }
        if (!string.IsNullOrWhiteSpace(settings.CertificatePath))
        {
            throw new StartupException($"DataProtection:CertificatePath is {path}, but there is no file there.");
        }
        return Create(path);
    }

    private static X509Certificate2 Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest("CN=MrPrompt key ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(100));
        var pfx = created.Export(X509ContentType.Pkcs12);
        // Written private from the first byte (the file is as secret as every provider key it protects),
        // then moved into place, so two processes starting together never read half a file.
        var draft = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(draft, options))
        {
            file.Write(pfx);
        }
        try
        {
            File.Move(draft, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(draft);
            return X509CertificateLoader.LoadPkcs12FromFile(path, null); // another process won the race
        }
        return X509CertificateLoader.LoadPkcs12(pfx, null);
    }
}
