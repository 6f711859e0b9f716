package io.fortress.cluster;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Skips, or in CI fails, a test marked {@link RequiresTool} whose programs are not all installed. */
final class RequiresToolCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        List<String> missing = new ArrayList<>();
        context.getElement().flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresTool.class)).ifPresent(annotation -> {
            for (Tool tool : annotation.value()) {
                if (tool.find().isEmpty()) {
                    missing.add(tool.missing());
                }
            }
        });
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("the programs it needs are installed");
        }
        String reason = String.join("; ", missing);
        if (inCi()) {
            throw new ClusterException(reason + " (CI=" + System.getenv("CI") + ": CI installs every tool, so a missing one fails)");
        }
        return ConditionEvaluationResult.disabled(reason);
    }

    static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
    }
}
