package dev.ffnskip.examples.agent;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The tools skipbench-28m was trained to call, with the names, parameter names and descriptions it knows. The data
 * behind them is a small fixed table: this is a demo of tool calling, not a weather service.
 */
public final class AgentTools {
    private static final Map<String, String> WEATHER = Map.of(
        "paris", "sunny, 21 degrees", "london", "rainy, 14 degrees", "mumbai", "foggy, 28 degrees", "tokyo", "cloudy, 18 degrees", "oslo", "snowy, -3 degrees"
    );
    private static final Map<String, String> TIME = Map.of("paris", "14:05", "london", "13:05", "mumbai", "17:35", "tokyo", "21:05", "oslo", "14:05");
    private static final Map<String, String> ELEMENTS = Map.of(
        "fe", "iron, atomic number 26", "sn", "tin, atomic number 50", "au", "gold, atomic number 79", "na", "sodium, atomic number 11", "he", "helium, atomic number 2"
    );
    /** Units of each currency per 1 USD. */
    private static final Map<String, Double> PER_USD = Map.of("USD", 1.0, "EUR", 0.92, "GBP", 0.79, "JPY", 151.2, "SEK", 10.45, "AUD", 1.52, "CHF", 0.88);
    private static final List<String> DOCUMENTS = List.of(
        "The warranty terms changed on March 1; contact team Telpori.",
        "The office in Quillhaven opens at 8 and closes at 17.",
        "Expense reports are due on the fifth working day of each month."
    );

    private final Consumer<String> onCall;
    private final List<String> calls = new ArrayList<>();

    /** @param onCall receives a line per tool call, e.g. {@code add(a=37, b=45) -> 82} */
    public AgentTools(Consumer<String> onCall) {
        this.onCall = onCall;
    }

    public List<String> calls() {
        return List.copyOf(calls);
    }

    private String record(String call, String result) {
        String line = call + " -> " + result;
        calls.add(line);
        onCall.accept(line);
        return result;
    }

    @Tool(name = "add", value = "Add two numbers a and b.")
    public String add(@P("the first number") double a, @P("the second number") double b) {
        return record("add(a=" + number(a) + ", b=" + number(b) + ")", number(a + b));
    }

    @Tool(name = "subtract", value = "Subtract number b from number a.")
    public String subtract(@P("the number to subtract from") double a, @P("the number to subtract") double b) {
        return record("subtract(a=" + number(a) + ", b=" + number(b) + ")", number(a - b));
    }

    @Tool(name = "multiply", value = "Multiply two numbers a and b.")
    public String multiply(@P("the first factor") double a, @P("the second factor") double b) {
        return record("multiply(a=" + number(a) + ", b=" + number(b) + ")", number(a * b));
    }

    @Tool(name = "divide", value = "Divide number a by number b.")
    public String divide(@P("the dividend") double a, @P("the divisor") double b) {
        String result = b == 0 ? "error: division by zero" : number(BigDecimal.valueOf(a / b).setScale(4, RoundingMode.HALF_UP).doubleValue());
        return record("divide(a=" + number(a) + ", b=" + number(b) + ")", result);
    }

    @Tool(name = "get_weather", value = "Get the current weather in a city.")
    public String get_weather(@P("the city") String city) {
        return record("get_weather(city=" + city + ")", WEATHER.getOrDefault(key(city), "clear, 20 degrees"));
    }

    @Tool(name = "get_time", value = "Get the current local time in a city.")
    public String get_time(@P("the city") String city) {
        return record("get_time(city=" + city + ")", TIME.getOrDefault(key(city), "12:00"));
    }

    @Tool(name = "lookup_element", value = "Look up a chemical element by its symbol.")
    public String lookup_element(@P("the element symbol") String symbol) {
        return record("lookup_element(symbol=" + symbol + ")", ELEMENTS.getOrDefault(key(symbol), "unknown element"));
    }

    @Tool(name = "search_documents", value = "Search the document store for passages about a query.")
    public String search_documents(@P("what to search for") String query) {
        String q = key(query);
        String hit = DOCUMENTS.stream()
            .filter(d -> List.of(q.split("\\W+")).stream().filter(w -> w.length() > 3).anyMatch(w -> d.toLowerCase(Locale.ROOT).contains(w)))
            .findFirst()
            .orElse("No passage found.");
        return record("search_documents(query=" + query + ")", hit);
    }

    @Tool(name = "convert_currency", value = "Convert an amount of money from one currency to another.")
    public String convert_currency(@P("the amount") double amount, @P("the currency code to convert from") String from, @P("the currency code to convert to") String to) {
        Double src = PER_USD.get(from.toUpperCase(Locale.ROOT));
        Double dst = PER_USD.get(to.toUpperCase(Locale.ROOT));
        String result = src == null || dst == null
            ? "error: unknown currency"
            : BigDecimal.valueOf(amount / src * dst).setScale(2, RoundingMode.HALF_UP).toPlainString() + " " + to.toUpperCase(Locale.ROOT);
        return record("convert_currency(amount=" + number(amount) + ", from=" + from + ", to=" + to + ")", result);
    }

    private static String key(String s) {
        return s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
    }

    /** Whole numbers without a decimal point, as the model saw them in training ("82", not "82.0"). */
    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
