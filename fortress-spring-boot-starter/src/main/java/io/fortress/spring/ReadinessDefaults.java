package io.fortress.spring;

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Puts the migrations' health into the readiness group unless the application defines that group
 * itself: an instance whose schema is behind its code is alive, but not ready for traffic. Beside
 * Spring Boot's own {@code readinessState} where its probes are on (Kubernetes, or
 * {@code management.endpoint.health.probes.enabled=true}); alone otherwise, where that indicator does
 * not exist.
 */
public final class ReadinessDefaults implements EnvironmentPostProcessor {
    static final String READINESS_INCLUDE = "management.endpoint.health.group.readiness.include";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.containsProperty(READINESS_INCLUDE)) {
            boolean probes = environment.getProperty("management.endpoint.health.probes.enabled", Boolean.class, false)
                    || CloudPlatform.getActive(environment) == CloudPlatform.KUBERNETES;
            environment.getPropertySources().addLast(new MapPropertySource("fortressReadinessDefaults",
                    Map.of(READINESS_INCLUDE, probes ? "readinessState,fortressMigrations" : "fortressMigrations")));
        }
    }
}
