using MrPrompt.Infrastructure;
using MrPrompt.Infrastructure.Persistence.Embedded;
using MrPrompt.Tests.Support;

namespace MrPrompt.Tests.Persistence;

public sealed class PostgresBinariesTests : IDisposable
{
    private readonly string _root = TestDirectories.Create("binaries");

    private string FakeBinFolder(string relative)
    {
        var folder = Path.Combine(_root, relative);
        Directory.CreateDirectory(folder);
        foreach (var tool in new[] { "initdb", "pg_ctl", "postgres" })
        {
            File.WriteAllText(Path.Combine(folder, tool), "");
        }
        return folder;
    }

    [Fact]
    public void Configured_folder_wins()
    {
        var configured = FakeBinFolder("configured");
        var onPath = FakeBinFolder("path");
        Assert.Equal(configured, PostgresBinaries.Locate(configured, onPath, Path.Combine(_root, "none")).Directory);
    }

    [Fact]
    public void Path_is_searched_before_debian_folders()
    {
        var onPath = FakeBinFolder("path");
        FakeBinFolder("debian/15/bin");
        var path = string.Join(Path.PathSeparator, Path.Combine(_root, "empty"), onPath);
        Assert.Equal(onPath, PostgresBinaries.Locate(null, path, Path.Combine(_root, "debian")).Directory);
    }

    [Fact]
    public void Newest_debian_version_is_chosen()
    {
        FakeBinFolder("debian/9/bin");
        var newest = FakeBinFolder("debian/16/bin");
        FakeBinFolder("debian/15/bin");
        Assert.Equal(newest, PostgresBinaries.Locate(null, "", Path.Combine(_root, "debian")).Directory);
    }

    [Fact]
    public void Configured_folder_without_the_tools_is_an_error_naming_the_setting()
    {
        var error = Assert.Throws<StartupException>(() => PostgresBinaries.Locate(_root, "", _root));
        Assert.Contains("Database:PostgresBinDir", error.Message);
    }

    [Fact]
    public void Nothing_found_names_both_fixes()
    {
        var error = Assert.Throws<StartupException>(() => PostgresBinaries.Locate(null, Path.Combine(_root, "empty"), Path.Combine(_root, "none")));
        Assert.Contains("install PostgreSQL", error.Message);
        Assert.Contains("ConnectionStrings__Default", error.Message);
    }

    public void Dispose() => TestDirectories.Delete(_root);
}
