package dev.vlm4j.sdk;

import dev.vlm4j.Vlm4jException;

/** The model's answer did not parse as the requested JSON type; the raw answer is kept. */
public final class JsonOutputException extends Vlm4jException {
    private final String answer;

    public JsonOutputException(Class<?> type, String answer, Throwable cause) {
        super("the answer is not valid JSON for " + type.getSimpleName() + ": " + cause.getMessage()
                + "\nanswer was: " + (answer.length() > 500 ? answer.substring(0, 500) + "..." : answer), cause);
        this.answer = answer;
    }

    public String answer() {
        return answer;
    }
}
