package io.fortress.springtests.jooq;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import org.jooq.DSLContext;
import io.fortress.springtests.ItemController;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** jOOQ's DSLContext from Spring Boot's jOOQ starter, in Spring transactions. */
@Service
public class Items implements ItemController.Items {
    private final DSLContext dsl;

    public Items(DSLContext dsl) {
        this.dsl = dsl;
    }

    @Override
    @Transactional
    public long add(String name) {
        return dsl.insertInto(table(name("jooq_app", "items"))).set(field(name("name")), name)
                .returningResult(field(name("id"), Long.class)).fetchOne().value1();
    }

    @Override
    @Transactional(readOnly = true)
    public int readOnlyPort() {
        return port();
    }

    @Override
    @Transactional
    public int readWritePort() {
        return port();
    }

    private int port() {
        return dsl.select(field("inet_server_port()", Integer.class)).fetchOne().value1();
    }
}
