using BenchmarkDotNet.Running;
using MrPrompt.Benchmarks;

// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- pipeline   (BenchmarkDotNet)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- usage [rate] [seconds]  (rows per second into Postgres)
return args.FirstOrDefault() switch
{
    "usage" => await UsageWriterThroughput.RunAsync(args.Skip(1).ToArray()),
    "pipeline" => Run(() => BenchmarkRunner.Run<GatewayPipelineBenchmarks>(args: args.Skip(1).ToArray())),
    _ => Usage(),
};

static int Run(Action benchmark)
{
    benchmark();
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("Usage: MrPrompt.Benchmarks pipeline [BenchmarkDotNet options] | usage [rows per second] [seconds]");
    return 2;
}
