package io.fortress.db;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The shape of the library, as rules: packages form no cycles, the API packages (everything outside
 * {@code io.fortress.db.internal}) never hand an internal type to a caller, and the backup internals
 * are reached only through the backup API. (fortress-cli and the starter have their own rule: they
 * use no internal package.)
 */
class ArchitectureTest {
    private static final JavaClasses LIBRARY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.fortress.db");

    /** The backup API's entry points: they hand work to io.fortress.db.internal.backup, which returns the API's values. */
    private static final Set<String> BACKUP_ENTRY_POINTS = Set.of("io.fortress.db.backup.BackupManager",
            "io.fortress.db.backup.BackupSchedule", "io.fortress.db.backup.RemoteObjectDecryptor", "io.fortress.db.backup.PointInTime");

    @Test
    void packagesFormNoCycles() {
        // each package is a slice of its own (io.fortress.db, io.fortress.db.api, io.fortress.db.internal.pool, ...), except that
        // io.fortress.db.backup is two: its values (BackupInfo, BackupConfig, ...), which the backup internals use, and its entry
        // points, which use the internals
        slices().assignedFrom(new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass type) {
                String name = type.getName().replaceAll("\\$.*", "");
                if (BACKUP_ENTRY_POINTS.contains(name)) {
                    return SliceIdentifier.of("backup entry points");
                }
                return type.getPackageName().startsWith("io.fortress.") ? SliceIdentifier.of(type.getPackageName())
                        : SliceIdentifier.ignore();
            }

            @Override
            public String getDescription() {
                return "packages, with the backup entry points apart from the backup values";
            }
        }).should().beFreeOfCycles().check(LIBRARY);
    }

    @Test
    void onlyTheBackupApiReachesTheBackupInternals() {
        classes().that().resideInAPackage("io.fortress.db.internal.backup..")
                .should().onlyBeAccessed().byClassesThat().resideInAnyPackage("io.fortress.db.backup", "io.fortress.db.internal.backup..")
                .check(LIBRARY);
    }

    @Test
    void backupInternalsNeverReachBackIntoTheBackupEntryPoints() {
        noClasses().that().resideInAPackage("io.fortress.db.internal.backup..")
                .should().dependOnClassesThat(new com.tngtech.archunit.base.DescribedPredicate<JavaClass>("a backup entry point") {
                    @Override
                    public boolean test(JavaClass type) {
                        return BACKUP_ENTRY_POINTS.contains(type.getName().replaceAll("\\$.*", ""));
                    }
                })
                .check(LIBRARY);
    }

    @Test
    void apiPackagesExposeNoInternalType() {
        classes().that().arePublic().and().resideOutsideOfPackage("io.fortress.db.internal..")
                .should(exposeNoInternalType())
                .check(LIBRARY);
    }

    @Test
    void internalsNeverReachBackIntoTheEntryPoints() {
        classes().that().resideInAPackage("io.fortress.db.internal..")
                .should().onlyDependOnClassesThat().resideOutsideOfPackage("io.fortress.db")
                .check(LIBRARY);
    }

    @Test
    void onlyTheAdapterReachesIntoHikariCPsInternals() {
        // com.zaxxer.hikari.pool is HikariCP's implementation; what fortress relies on there is pinned by HikariPoolAdapterTest
        noClasses().that().doNotHaveSimpleName("HikariPoolAdapter")
                .should().dependOnClassesThat().resideInAPackage("com.zaxxer.hikari.pool..")
                .check(LIBRARY);
    }

    private static boolean internal(JavaClass type) {
        return type.getPackageName().startsWith("io.fortress.db.internal");
    }

    private static boolean visible(java.util.Set<JavaModifier> modifiers) {
        return modifiers.contains(JavaModifier.PUBLIC) || modifiers.contains(JavaModifier.PROTECTED);
    }

    /** Public and protected members: no internal supertype, field type, parameter type, return type or thrown type. */
    private static ArchCondition<JavaClass> exposeNoInternalType() {
        return new ArchCondition<>("expose no type of io.fortress.db.internal") {
            @Override
            public void check(JavaClass type, ConditionEvents events) {
                List<String> leaks = new ArrayList<>();
                type.getRawSuperclass().filter(ArchitectureTest::internal).ifPresent(s -> leaks.add("extends " + s.getName()));
                type.getRawInterfaces().stream().filter(ArchitectureTest::internal).forEach(i -> leaks.add("implements " + i.getName()));
                for (JavaField field : type.getFields()) {
                    if (visible(field.getModifiers()) && internal(field.getRawType())) {
                        leaks.add("field " + field.getName() + " is a " + field.getRawType().getName());
                    }
                }
                for (JavaCodeUnit unit : type.getCodeUnits()) {
                    if (!visible(unit.getModifiers())) {
                        continue;
                    }
                    if (internal(unit.getRawReturnType())) {
                        leaks.add(unit.getName() + " returns " + unit.getRawReturnType().getName());
                    }
                    unit.getRawParameterTypes().stream().filter(ArchitectureTest::internal)
                            .forEach(p -> leaks.add(unit.getName() + " takes " + p.getName()));
                    unit.getThrowsClause().getTypes().stream().filter(ArchitectureTest::internal)
                            .forEach(t -> leaks.add(unit.getName() + " throws " + t.getName()));
                }
                for (String leak : leaks) {
                    events.add(SimpleConditionEvent.violated(type, type.getName() + ": " + leak));
                }
            }
        };
    }
}
