using System.Globalization;
using System.Text;

namespace MrPrompt.Domain.Common;

/// <summary>
/// Lower-case ASCII letters and digits joined by single hyphens, made from a name people typed: prompt
/// keys from titles, provider ids from endpoint names. Accented letters keep their base letter
/// ("Ünïcödé" is "unicode"), so a title in any Latin script gives a key that still reads as it.
/// </summary>
public static class Slug
{
    public static string Of(string text, int maxLength)
    {
        var slug = new StringBuilder();
        foreach (var c in Transliterated(text.Trim().ToLowerInvariant()))
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                slug.Append(c);
            }
            else if (slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }
        var result = slug.ToString().Trim('-');
        return result.Length <= maxLength ? result : result[..maxLength].TrimEnd('-');
    }

    /// <summary>Accents dropped (é → e) and the letters that do not decompose spelled out (ß → ss).</summary>
    private static IEnumerable<char> Transliterated(string text)
    {
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }
            var spelled = c switch
            {
                'ß' => "ss",
                'æ' => "ae",
                'œ' => "oe",
                'ø' => "o",
                'đ' or 'ð' => "d",
                'ł' => "l",
                'þ' => "th",
                'ı' => "i",
                _ => null,
            };
            if (spelled is null)
            {
                yield return c;
            }
            else
            {
                foreach (var letter in spelled)
                {
                    yield return letter;
                }
            }
        }
    }
}
