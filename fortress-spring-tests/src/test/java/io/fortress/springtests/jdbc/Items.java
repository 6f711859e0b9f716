package io.fortress.springtests.jdbc;

import io.fortress.springtests.ItemController;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class Items implements ItemController.Items {
    private final ItemRepository items;

    public Items(ItemRepository items) {
        this.items = items;
    }

    @Override
    @Transactional
    public long add(String name) {
        return items.save(new Item(null, name)).id();
    }

    @Override
    @Transactional(readOnly = true)
    public int readOnlyPort() {
        return items.serverPort();
    }

    @Override
    @Transactional
    public int readWritePort() {
        return items.serverPort();
    }
}
