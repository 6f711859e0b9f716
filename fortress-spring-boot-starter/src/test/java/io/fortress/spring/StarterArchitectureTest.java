package io.fortress.spring;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The starter is a user of the library like any other: it uses only the API packages. */
class StarterArchitectureTest {
    @Test
    void theStarterUsesOnlyTheLibrarysApi() {
        noClasses().that().resideInAPackage("io.fortress.spring..")
                .should().dependOnClassesThat().resideInAPackage("io.fortress.db.internal..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.fortress.spring", "io.fortress.db"));
    }
}
