using System.Text.RegularExpressions;
using Cria.Evaluation.Tasks;

namespace Cria.Evaluation;

/// <summary>The harness's answer filters and exact_match metric for generated answers (GSM8K).</summary>
public static class AnswerExtraction
{
    /// <summary>
    /// Regex filter: all matches of the pattern; the one at <c>GroupSelect</c> (negative counts from the end); when
    /// the pattern has several groups, the first non-empty one; stripped. The fallback when nothing matches.
    /// </summary>
    public static string Extract(AnswerFilter filter, string response)
    {
        Regex regex = new(filter.Regex);
        MatchCollection matches = regex.Matches(response);
        if (matches.Count == 0) return filter.Fallback;
        int index = filter.GroupSelect < 0 ? matches.Count + filter.GroupSelect : filter.GroupSelect;
        if (index < 0 || index >= matches.Count) index = 0;
        Match m = matches[index];
        string value;
        if (m.Groups.Count <= 1) value = m.Value;
        else if (m.Groups.Count == 2) value = m.Groups[1].Value;
        else
        {
            Group? first = null;
            for (int g = 1; g < m.Groups.Count; g++)
                if (m.Groups[g].Success && m.Groups[g].Value.Length > 0)
                {
                    first = m.Groups[g];
                    break;
                }
            if (first == null) return filter.Fallback;
            value = first.Value;
        }
        return value.Trim();
    }

    /// <summary>1 when prediction and reference are equal after removing the ignored patterns from both.</summary>
    public static double ExactMatch(string prediction, string reference, ExactMatchOptions o)
    {
        foreach (string pattern in o.RegexesToIgnore)
        {
            prediction = Regex.Replace(prediction, pattern, "");
            reference = Regex.Replace(reference, pattern, "");
        }
        if (o.IgnoreCase)
        {
            prediction = prediction.ToLowerInvariant();
            reference = reference.ToLowerInvariant();
        }
        if (o.IgnorePunctuation)
        {
            prediction = new string([.. prediction.Where(c => !char.IsPunctuation(c))]);
            reference = new string([.. reference.Where(c => !char.IsPunctuation(c))]);
        }
        return prediction == reference ? 1.0 : 0.0;
    }
}
