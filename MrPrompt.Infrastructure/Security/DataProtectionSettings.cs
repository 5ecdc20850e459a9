namespace MrPrompt.Infrastructure.Security;

/// <summary>
/// The <c>DataProtection</c> section: the certificate that encrypts the key ring. It must live outside
/// the database, so a dump of the database alone cannot decrypt provider keys.
/// </summary>
public sealed class DataProtectionSettings
{
    public const string SectionName = "DataProtection";

    /// <summary>
    /// A PKCS#12 (.pfx) file with a private key. Empty: one is generated in a <c>keys</c> folder beside
    /// the embedded database's folder, so the two always move (and are backed up) together.
    /// </summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    public string ResolveCertificatePath(string embeddedDataDir) => Path.GetFullPath(
        string.IsNullOrWhiteSpace(CertificatePath)
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(embeddedDataDir)) ?? embeddedDataDir, "keys", "dataprotection.pfx")
            : CertificatePath);
}
