package io.fortress.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.util.Map;
import org.slf4j.LoggerFactory;

/** Log level and format of the command: FORTRESS_LOG_LEVEL (or the command's default) and FORTRESS_LOG_FORMAT. */
final class Logging {
    private Logging() {
    }

    static void configure(Map<String, String> environment, Level defaultLevel) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        String level = CliSettings.get(CliSettings.LOG_LEVEL, environment);
        root.setLevel(level == null ? defaultLevel : Level.toLevel(level, defaultLevel));
        if ("json".equals(CliSettings.get(CliSettings.LOG_FORMAT, environment))) {
            JsonEncoder encoder = new JsonEncoder();
            encoder.setContext(context);
            encoder.start();
            ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
            json.setName("json");
            json.setContext(context);
            json.setTarget("System.err");
            json.setEncoder(encoder);
            json.start();
            root.detachAndStopAllAppenders();
            root.addAppender(json);
        }
    }
}
