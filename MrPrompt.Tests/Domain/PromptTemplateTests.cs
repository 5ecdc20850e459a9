using System.Text.Json;
using MrPrompt.Domain.Prompts;

namespace MrPrompt.Tests.Domain;

public sealed class PromptTemplateTests
{
    private static PromptTemplate Parse(string source)
    {
        var parse = PromptTemplate.Parse(source);
        Assert.True(parse.Succeeded, string.Join("; ", parse.Errors));
        return parse.Template!;
    }

    private static string Render(string source, IReadOnlyDictionary<string, object?> values)
    {
        var rendering = Parse(source).Render(values);
        Assert.True(rendering.Succeeded, rendering.Problem);
        return rendering.Text!;
    }

    [Fact]
    public void Variables_are_replaced_with_their_values()
    {
        Assert.Equal("The user says: hello", Render("The user says: {{message}}", new Dictionary<string, object?> { ["message"] = "hello" }));
    }

    [Fact]
    public void Nested_paths_walk_into_objects_as_seed_000_does()
    {
        var values = new Dictionary<string, object?>
        {
            ["user"] = new Dictionary<string, object?> { ["firstName"] = "Ada" },
            ["listing"] = new Dictionary<string, object?> { ["address"] = new Dictionary<string, object?> { ["city"] = "Lisbon" } },
        };

        Assert.Equal("Hi Ada, about the flat in Lisbon.", Render("Hi {{user.firstName}}, about the flat in {{ listing.address.city }}.", values));
    }

    [Fact]
    public void Nested_paths_also_read_json_objects_and_list_items()
    {
        using var json = JsonDocument.Parse("""{"order":{"items":["tea","cake"],"total":12.5,"paid":true,"note":null}}""");
        var values = new Dictionary<string, object?> { ["order"] = json.RootElement.GetProperty("order") };

        Assert.Equal("tea and cake; 12.5; true; all: tea, cake", Render("{{order.items.0}} and {{order.items.1}}; {{order.total}}; {{order.paid}}; all: {{order.items}}", values));
        Assert.Equal(["order.note"], Parse("{{order.note}}").Render(values).MissingVariables);
    }

    [Fact]
    public void Numbers_and_dates_are_written_the_same_in_every_culture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
        try
        {
            Assert.Equal("1.5", Render("{{n}}", new Dictionary<string, object?> { ["n"] = 1.5 }));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Every_missing_variable_is_named_once_and_nothing_is_rendered()
    {
        var rendering = Parse("{{a}} {{b.c}} {{a}} {{present}} {{d}}").Render(new Dictionary<string, object?> { ["present"] = "x", ["b"] = new Dictionary<string, object?>() });

        Assert.False(rendering.Succeeded);
        Assert.Null(rendering.Text);
        Assert.Equal(["a", "b.c", "d"], rendering.MissingVariables);
        Assert.Equal("These variables have no value: 'a', 'b.c', 'd'.", rendering.Problem);
    }

    [Fact]
    public void A_default_makes_a_variable_optional()
    {
        var template = Parse("Tone: {{ tone | default: \"friendly\" }}, {{name | default: 'you'}}");

        Assert.Equal("Tone: friendly, you", template.Render(new Dictionary<string, object?>()).Text);
        Assert.Equal("Tone: formal, Ada", template.Render(new Dictionary<string, object?> { ["tone"] = "formal", ["name"] = "Ada" }).Text);
        Assert.All(template.Variables, v => Assert.False(v.IsRequired));
        Assert.Equal("friendly", template.Variables[0].DefaultValue);
    }

    [Fact]
    public void Defaults_can_hold_escaped_quotes_bars_and_single_braces_and_be_empty()
    {
        Assert.Equal("say \"hi\" | {x}", Render("{{g | default: \"say \\\"hi\\\" | {x}\"}}", new Dictionary<string, object?>()));
        Assert.Equal("[]", Render("[{{nothing | default: \"\"}}]", new Dictionary<string, object?>()));
    }

    [Fact]
    public void A_variable_used_once_without_a_default_is_required()
    {
        var template = Parse("{{x | default: \"a\"}} and {{x}}");

        var variable = Assert.Single(template.Variables);
        Assert.True(variable.IsRequired);
        Assert.Equal(["x"], template.Render(new Dictionary<string, object?>()).MissingVariables);
    }

    [Fact]
    public void Variables_are_listed_once_in_order_of_first_use()
    {
        var template = Parse("{{b}} {{a.x}} {{b}} {{c | default: \"1\"}}");

        Assert.Equal(["b", "a.x", "c"], template.Variables.Select(v => v.Path));
        Assert.Equal("a", template.Variables[1].Root);
    }

    [Fact]
    public void An_escaped_brace_pair_is_written_literally_and_is_no_variable()
    {
        var template = Parse("Use \\{{name}} in templates, for {{who}}.");

        Assert.Equal(["who"], template.Variables.Select(v => v.Path));
        Assert.Equal("Use {{name}} in templates, for Ada.", template.Render(new Dictionary<string, object?> { ["who"] = "Ada" }).Text);
    }

    [Fact]
    public void Lone_braces_and_closing_pairs_are_plain_text()
    {
        Assert.Equal("a { b } c }} d {x} e", Render("a { b } c }} d {x} e", new Dictionary<string, object?>()));
    }

    [Theory]
    [InlineData("Hello {{name", 1, 7, "never closed")]
    [InlineData("Line one\nand {{ a {{b}}", 2, 5, "not closed before the next")]
    [InlineData("{{}}", 1, 1, "needs a variable name")]
    [InlineData("{{   }}", 1, 1, "needs a variable name")]
    [InlineData("{{a..b}}", 1, 1, "not a valid variable name")]
    [InlineData("{{user name}}", 1, 1, "not a valid variable name")]
    [InlineData("{{.a}}", 1, 1, "not a valid variable name")]
    [InlineData("x {{name | upper}}", 1, 3, "only a default is allowed")]
    [InlineData("{{name | default: unquoted}}", 1, 1, "only a default is allowed")]
    [InlineData("{{name | default: \"a\"b\"}}", 1, 1, "only a default is allowed")]
    [InlineData("{{name | default \"a\"}}", 1, 1, "only a default is allowed")]
    public void Syntax_errors_say_where_and_what(string source, int line, int column, string problem)
    {
        var parse = PromptTemplate.Parse(source);

        Assert.False(parse.Succeeded);
        var error = parse.Errors[0];
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Line {line}, column {column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_syntax_error_is_reported_not_just_the_first()
    {
        var parse = PromptTemplate.Parse("{{}} fine {{ok}} {{bad name}} {{open");

        Assert.Equal(3, parse.Errors.Count);
    }

    [Fact]
    public void Very_long_templates_parse_and_render_in_one_pass()
    {
        var pieces = Enumerable.Range(0, 20_000).Select(i => $"word {i} {{{{v{i % 50}}}}} ");
        var source = string.Concat(pieces);
        var values = Enumerable.Range(0, 50).ToDictionary(i => $"v{i}", i => (object?)$"<{i}>");

        var rendering = Parse(source).Render(values);

        Assert.True(rendering.Succeeded);
        Assert.Contains("word 19999 <49>", rendering.Text, StringComparison.Ordinal);
        Assert.Equal(50, Parse(source).Variables.Count);
    }

    [Fact]
    public void A_long_run_of_open_braces_reports_a_bounded_number_of_errors()
    {
        var unclosed = PromptTemplate.Parse(new string('{', 200_000));
        var manyOpenOneClose = PromptTemplate.Parse(string.Concat(Enumerable.Repeat("{{", 50_000)) + "}}");
        var manyLines = PromptTemplate.Parse(string.Concat(Enumerable.Repeat("{{\n", 30_000)) + "}}");

        Assert.False(unclosed.Succeeded);
        Assert.Equal(PromptTemplate.MaxReportedErrors, manyOpenOneClose.Errors.Count);
        Assert.Equal((20, 1), (manyLines.Errors[^1].Line, manyLines.Errors[^1].Column));
    }

    [Fact]
    public void Values_from_a_form_become_nested_objects()
    {
        var values = TemplateValues.FromPaths([new("user.name", "Ada"), new("user.city", "London"), new("topic", "engines")]);

        Assert.Equal("Ada from London on engines", Render("{{user.name}} from {{user.city}} on {{topic}}", values));
    }

    [Fact]
    public void Request_variables_win_over_loaded_data()
    {
        var loaded = new Dictionary<string, object?> { ["user"] = new Dictionary<string, object?> { ["displayName"] = "Loaded" }, ["now"] = "today" };
        var merged = TemplateValues.Merge(loaded, new Dictionary<string, object?> { ["now"] = "tomorrow" });

        Assert.Equal("Loaded tomorrow", Render("{{user.displayName}} {{now}}", merged));
    }

    [Fact]
    public void A_render_that_would_pass_the_limit_stops_there_without_building_the_text()
    {
        var template = PromptTemplate.Parse(string.Concat(Enumerable.Repeat("{{x}} ", 5_000))).Template!;
        var big = new string('a', 1_000_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var rendered = template.Render(new Dictionary<string, object?> { ["x"] = big }, maxLength: 2_000_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(rendered.Succeeded);
        Assert.Equal(2_000_000, rendered.OverLimit);
        Assert.Contains("2,000,000 characters", rendered.Problem, StringComparison.Ordinal);
        Assert.True(allocated < 20_000_000, $"{allocated:N0} bytes allocated to refuse it"); // 5 GB of text unbounded
        Assert.Equal("hi hi ", PromptTemplate.Parse("{{x}} {{x}} ").Template!.Render(new Dictionary<string, object?> { ["x"] = "hi" }, maxLength: 6).Text);
    }
}
