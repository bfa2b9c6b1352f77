#pragma once
/// @file
/// Creating and dropping a MetaData's tables on an Engine, in foreign-key order,
/// in one transaction.

#include "relate/core/schema.hpp"
#include "relate/engine/engine.hpp"

namespace relate {

/// CREATE TABLE / INDEX for every table, referenced tables first. With checkfirst,
/// tables and indexes that already exist are left alone.
void create_all(const Engine& engine, const MetaData& metadata, bool checkfirst = true);
/// DROP TABLE IF EXISTS for every table, referencing tables first.
void drop_all(const Engine& engine, const MetaData& metadata);

}  // namespace relate
