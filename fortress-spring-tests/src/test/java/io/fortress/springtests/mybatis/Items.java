package io.fortress.springtests.mybatis;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class Items {
    private final ItemMapper mapper;

    public Items(ItemMapper mapper) {
        this.mapper = mapper;
    }

    @Transactional
    public long add(String name) {
        ItemMapper.NewItem item = new ItemMapper.NewItem();
        item.name = name;
        mapper.insert(item);
        return item.id;
    }

    @Transactional(readOnly = true)
    public int readOnlyPort() {
        return mapper.serverPort();
    }

    @Transactional
    public int readWritePort() {
        return mapper.serverPort();
    }
}
