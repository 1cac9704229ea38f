"""A throw-away WordPress database on the MariaDB at 127.0.0.1:3306 (root, no password):
the tables the audit reads, created empty, dropped afterwards."""

from __future__ import annotations

import contextlib

import pymysql

SCHEMA = [
    "CREATE TABLE wp_posts (ID BIGINT PRIMARY KEY, post_content LONGTEXT)",
    "CREATE TABLE wp_options (option_name VARCHAR(191) PRIMARY KEY, option_value LONGTEXT)",
    "CREATE TABLE wp_users (ID BIGINT PRIMARY KEY, user_login VARCHAR(60), "
    "user_registered DATETIME)",
    "CREATE TABLE wp_usermeta (umeta_id BIGINT PRIMARY KEY AUTO_INCREMENT, user_id BIGINT, "
    "meta_key VARCHAR(255), meta_value LONGTEXT)",
]
ADMIN = 'a:1:{s:13:"administrator";b:1;}'  # wp_capabilities of an administrator


@contextlib.contextmanager
def wordpress_database(name: str):
    """Yields (connection, name) with the WordPress tables created in a new database ``name``
    (the connection uses it); the database is dropped on the way out."""
    server = pymysql.connect(host="127.0.0.1", port=3306, user="root", password="")
    try:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}`")
            cursor.execute(f"USE `{name}`")
            for statement in SCHEMA:
                cursor.execute(statement)
        server.commit()
        yield server, name
    finally:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()
