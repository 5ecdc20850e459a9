namespace MrPrompt.Infrastructure.Security;

/// <summary>
/// The <c>DataProtection</c> section: the certificate that encrypts the key ring. It must live outside
/// the database, so a dump of the database alone cannot decrypt provider keys; a generated one is itself
/// encrypted by a password kept outside the data folder, so a copy of that folder alone cannot either.
/// </summary>
public sealed class DataProtectionSettings
{
    public const string SectionName = "DataProtection";

    /// <summary>
    /// A PKCS#12 (.pfx) file with a private key. Empty: one is generated in a <c>keys</c> folder beside
    /// the embedded database's folder, so the two always move (and are backed up) together.
    /// </summary>
    public string? CertificatePath { get; set; }

    /// <summary>The certificate's password. Empty with a generated certificate: a generated password in <see cref="CertificatePasswordPath"/>.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Where a generated certificate's generated password is kept: by default the account's configuration
    /// folder (<c>~/.config/MrPrompt/keyring-password</c>), not the data folder.
    /// </summary>
    public string? CertificatePasswordPath { get; set; }

    public bool GeneratesCertificate => string.IsNullOrWhiteSpace(CertificatePath);

    public string ResolveCertificatePath(string embeddedDataDir) => Path.GetFullPath(
        GeneratesCertificate
            ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(embeddedDataDir)) ?? embeddedDataDir, "keys", "dataprotection.pfx")
            : CertificatePath!);

    /// <summary>Null when there is no configuration folder to keep it in (no HOME): then a password must be set.</summary>
    public string? ResolvePasswordPath()
    {
        if (!string.IsNullOrWhiteSpace(CertificatePasswordPath))
        {
            return Path.GetFullPath(CertificatePasswordPath);
        }
        var configuration = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData);
        return string.IsNullOrEmpty(configuration) ? null : Path.Combine(configuration, "MrPrompt", "keyring-password");
    }
}
