namespace MrPrompt.Tests.Support;

/// <summary>
/// Scratch folders under /tmp: reachable by the postgres account when tests run as root
/// (a home folder often is not).
/// </summary>
public static class TestDirectories
{
    public static string Create(string purpose)
    {
        var path = Path.Combine(Path.GetTempPath(), "mrprompt-tests", $"{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A server that was killed may still hold a file for a moment; /tmp is cleaned anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
