namespace MrPrompt.Domain.Knowledge;

/// <summary>
/// Reciprocal rank fusion: each ranking gives an item 1 / (k + rank), ranks from 1, and the sums order the result.
/// Scores of different searches (cosine, ts_rank) are not comparable; their ranks are. k = 60 is the value of the
/// method's paper, which damps the difference between the very first places.
/// </summary>
public static class RankFusion
{
    public const int DefaultK = 60;

    public static IReadOnlyList<(T Item, double Score)> Fuse<T>(IEnumerable<IReadOnlyList<T>> rankings, int k = DefaultK) where T : notnull
    {
        var scores = new Dictionary<T, double>();
        var firstSeen = new Dictionary<T, int>();
        foreach (var ranking in rankings)
        {
            for (var rank = 0; rank < ranking.Count; rank++)
            {
                var item = ranking[rank];
                scores[item] = scores.GetValueOrDefault(item) + (1.0 / (k + rank + 1));
                firstSeen.TryAdd(item, firstSeen.Count);
            }
        }
        // Ties keep the order the items were first met in: the earlier ranking wins.
        return scores.OrderByDescending(s => s.Value).ThenBy(s => firstSeen[s.Key]).Select(s => (s.Key, s.Value)).ToList();
    }
}
