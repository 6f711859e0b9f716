package io.fortress.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The fortress command is a user of the library like any other: it uses only the API packages. */
class CliArchitectureTest {
    @Test
    void theCommandUsesOnlyTheLibrarysApi() {
        noClasses().that().resideInAPackage("io.fortress.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.fortress.db.internal..")
                .check(new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.fortress.cli", "io.fortress.db"));
    }
}
