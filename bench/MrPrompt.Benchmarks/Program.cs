using BenchmarkDotNet.Running;
using MrPrompt.Benchmarks;

// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- pipeline   (BenchmarkDotNet)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- usage [rate] [seconds]  (rows per second into Postgres)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- usage-page [--rows 1000000] [--days 30] | --database <cs> --admin <email>  (admin usage page over seeded rows)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- usage-seed --database <connection string> [--rows N] [--days D] [--people P]
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- rls [rounds]  (what row-level security's settings add to each connection open)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- markdown [tokens]  (server CPU per frame while a long answer streams)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- queue <MrPrompt.Web.dll> [burst] [latency jobs]  (bench/queue.sh)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- ttft [sends] [port]  (a browser chat's first token; bench/chat-first-token.sh)
// dotnet run -c Release --project bench/MrPrompt.Benchmarks -- knowledge [embed|ingest|recall|search|all] [sizes]  (bench/knowledge.sh)
// mock-upstream [port], yarp [port] [upstream], streams <url> <model> <n> [key] [rounds]: parts of bench/http-overhead.sh
return args.FirstOrDefault() switch
{
    "usage" => await UsageWriterThroughput.RunAsync(args.Skip(1).ToArray()),
    "usage-page" => await UsagePageTiming.RunAsync(args.Skip(1).ToArray()),
    "usage-seed" => await UsagePageTiming.SeedAsync(args.Skip(1).ToArray()),
    "mock-upstream" => await MockUpstream.RunAsync(args.Skip(1).ToArray()),
    "yarp" => await PlainProxy.RunAsync(args.Skip(1).ToArray()),
    "streams" => await StreamProbe.RunAsync(args.Skip(1).ToArray()),
    "rls" => await RowSecurityCost.RunAsync(args.Skip(1).ToArray()),
    "roundtrip" => await RoundTrip.RunAsync(args.Skip(1).ToArray()),
    "queue" => await QueueThroughput.RunAsync(args.Skip(1).ToArray()),
    "ttft" => await ChatFirstToken.RunAsync(args.Skip(1).ToArray()),
    "circuits" => await CircuitLoad.RunAsync(args.Skip(1).ToArray()),
    "markdown" => MarkdownStreaming.Run(args.Skip(1).ToArray()),
    "knowledge" => await KnowledgeBench.RunAsync(args.Skip(1).ToArray()),
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
    Console.Error.WriteLine("Usage: MrPrompt.Benchmarks pipeline [BenchmarkDotNet options] | usage [rows per second] [seconds] | usage-page [--rows N] [--days D] | usage-page --database <connection string> --admin <email> | usage-seed --database <connection string> [--rows N] [--days D] | markdown [tokens] | knowledge [embed|ingest|recall|search|all] [10000,100000,1000000] | rls [rounds] | roundtrip <connection string> [sql] [pause ms] | queue <MrPrompt.Web.dll> [burst] [latency jobs] | circuits <url> <email> <password> <pages> <server pid> | mock-upstream [port] | yarp [port] [upstream] | streams <url> <model> <n> [key] [rounds]");
    return 2;
}
