package io.fortress.springtests.jdbc;

import java.util.List;
import org.springframework.data.jdbc.repository.query.Query;
import org.springframework.data.repository.CrudRepository;

public interface ItemRepository extends CrudRepository<Item, Long> {
    List<Item> findByName(String name);

    @Query("SELECT inet_server_port()")
    int serverPort();
}
