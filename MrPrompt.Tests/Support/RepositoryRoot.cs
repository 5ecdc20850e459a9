namespace MrPrompt.Tests.Support;

/// <summary>The checkout's top folder, found from the test binaries by looking for the solution file.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MrPrompt.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("MrPrompt.sln not found above " + AppContext.BaseDirectory);
    }
}
