-- A minimal parts catalogue (SPEC §5 price transparency: parts at catalogue price);
-- the parts issue extends it with stock. Prices in fen.
CREATE TABLE parts (
    id INTEGER PRIMARY KEY,
    part_number TEXT NOT NULL UNIQUE,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    price_fen INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
