package io.fortress.springtests.jdbc;

import org.springframework.data.annotation.Id;
import org.springframework.data.relational.core.mapping.Table;

@Table(schema = "jdbc_app", name = "items")
public record Item(@Id Long id, String name) {
}
