package io.fortress.springtests.mybatis;

import io.fortress.springtests.ItemController;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class Items implements ItemController.Items {
    private final ItemMapper mapper;

    public Items(ItemMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    @Transactional
    public long add(String name) {
        ItemMapper.NewItem item = new ItemMapper.NewItem();
        item.name = name;
        mapper.insert(item);
        return item.id;
    }

    @Override
    @Transactional(readOnly = true)
    public int readOnlyPort() {
        return mapper.serverPort();
    }

    @Override
    @Transactional
    public int readWritePort() {
        return mapper.serverPort();
    }
}
