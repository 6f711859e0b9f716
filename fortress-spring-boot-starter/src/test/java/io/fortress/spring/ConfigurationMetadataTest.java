package io.fortress.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fortress.db.api.DbSettings;
import io.fortress.db.api.Setting;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The IDE metadata of the {@code fortress.*} database properties is made from the settings table, so
 * it cannot drift: this test fails when the committed file differs, and leaves the expected one in
 * target/ to copy over.
 */
class ConfigurationMetadataTest {
    static final Path FILE = Path.of("src/main/resources/META-INF/additional-spring-configuration-metadata.json");

    static String expected() throws Exception {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        ArrayNode properties = root.putArray("properties");
        for (Setting<?> s : DbSettings.ALL) {
            ObjectNode p = properties.addObject();
            p.put("name", DbConfigBinder.property(s));
            p.put("type", "java.lang.String");
            p.put("description", s.description() + ". Accepted: " + s.accepted() + ". Overrides " + s.variable() + ".");
            if (s.defaultValue() != null && !s.isSecret()) {
                p.put("defaultValue", s.display(s.defaultValue()));
            }
        }
        return json.writeValueAsString(root) + "\n";
    }

    @Test
    void theCommittedMetadataIsTheSettingsTable() throws Exception {
        String expected = expected();
        String actual = Files.exists(FILE) ? Files.readString(FILE) : "";
        if (!actual.equals(expected)) {
            Path out = Path.of("target/additional-spring-configuration-metadata.json");
            Files.writeString(out, expected);
            assertThat(actual).as("copy " + out + " to " + FILE).isEqualTo(expected);
        }
    }

    @Test
    void everyDatabaseSettingHasAProperty() {
        assertThat(DbSettings.ALL).extracting(DbConfigBinder::property).contains("fortress.host", "fortress.max-open-conns",
                "fortress.replica-hosts", "fortress.patroni-urls", "fortress.health-interval").doesNotHaveDuplicates();
    }
}
