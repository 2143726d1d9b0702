# Every dependency is a Debian 12 package (see scripts/deps). GDAL ships a CMake
# config; GEOS, PROJ, SpatiaLite and SQLite are found through pkg-config and
# exposed as imported targets so that callers link against one name each.
find_package(GDAL CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(GEOS REQUIRED IMPORTED_TARGET geos)
pkg_check_modules(PROJ REQUIRED IMPORTED_TARGET proj)
pkg_check_modules(SPATIALITE REQUIRED IMPORTED_TARGET spatialite)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
# Debian builds cpp-httplib as a shared library (the header declares, the .so defines).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(Threads REQUIRED)
# SHA-256 of access tokens and constant-time comparison (libcrypto only; TLS is nginx's job).
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
