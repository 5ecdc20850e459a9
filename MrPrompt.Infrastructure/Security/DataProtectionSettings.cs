namespace MrPrompt.Infrastructure.Security;

/// <summary>
/// The <c>DataProtection</c> section: the certificate that encrypts the key ring. It must live outside
/// the database, so a dump of the database alone cannot decrypt provider keys.
/// </summary>
public sealed class DataProtectionSettings
{
    public const string SectionName = "DataProtection";

    /// <summary>A PKCS#12 (.pfx) file with a private key. Empty: one is generated under <c>.data/keys</c>.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    public string ResolveCertificatePath() => Path.GetFullPath(
        string.IsNullOrWhiteSpace(CertificatePath)
            ? Path.Combine(Directory.GetCurrentDirectory(), ".data", "keys", "dataprotection.pfx")
            : CertificatePath);
}
