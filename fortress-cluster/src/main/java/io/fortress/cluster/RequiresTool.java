package io.fortress.cluster;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that needs programs beyond PostgreSQL. When one is missing the test is
 * skipped with the program and its package named, except in CI (the environment variable {@code CI}
 * set to anything but {@code false}), where a missing program fails the test: CI installs them all.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(RequiresToolCondition.class)
public @interface RequiresTool {
    /** The programs the test starts. */
    Tool[] value();
}
