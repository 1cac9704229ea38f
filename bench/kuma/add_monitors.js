// Sets up a fresh Uptime Kuma and adds monitors through its socket.io API, as its web page does.
//
//   node add_monitors.js --url http://127.0.0.1:PORT --kuma-dir DIR (its node_modules/uptime-kuma)
//        --sites N --http-port P --https-port Q --https-share F --interval S --spread S
//        [--setup-only]
//
// Creates the admin user (the "setup" event, once per data folder), signs in ("login"), then adds
// N keyword monitors of the farm's sites through Kuma's backup import (event "uploadBackup",
// option "keep": it stores the monitors and starts each at once). One monitor at a time through
// the "add" event, as the page does, costs Kuma a full monitor list per add (O(N) each: 100 adds
// took 33 s here, a thousand would take most of an hour); the import sends the list once. The
// import goes in chunks, one a second over --spread seconds, so that the checks spread across
// the interval as ours do (Kuma schedules each next check an interval after the last one).
// Each monitor asks for http(s)://127.0.0.1:PORT/ with the Host header of its site
// (s<i>.farm.test), so the farm's log names the same sites as for Xuala.
// Prints one JSON line at the end: {"added": N, "seconds": T}.
"use strict";

const path = require("path");

function args() {
    const out = {};
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i++) {
        const key = argv[i].replace(/^--/, "");
        if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
            out[key] = argv[++i];
        } else {
            out[key] = true;
        }
    }
    return out;
}

const USER = "admin";
const PASSWORD = "bench-Kuma-2024";
const KEYWORD = "Bienvenido a mi tienda";

function emit(socket, event, ...params) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${event}: no answer in 120 s`)), 120000);
        socket.emit(event, ...params, (answer) => {
            clearTimeout(timer);
            resolve(answer);
        });
    });
}

function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main() {
    const opts = args();
    const { io } = require(path.join(opts["kuma-dir"], "..", "socket.io-client"));
    const socket = io(opts.url, { transports: [ "websocket" ], reconnection: false });
    await new Promise((resolve, reject) => {
        socket.on("connect", resolve);
        socket.on("connect_error", reject);
    });
    const setup = await emit(socket, "setup", USER, PASSWORD);
    if (!setup.ok && !/initialized/.test(setup.msg)) {
        throw new Error("setup: " + setup.msg);
    }
    const login = await emit(socket, "login", { username: USER, password: PASSWORD, token: "" });
    if (!login.ok) {
        throw new Error("login: " + login.msg);
    }
    if (opts["setup-only"]) {
        console.log(JSON.stringify({ added: 0, seconds: 0 }));
        socket.close();
        return;
    }
    const sites = parseInt(opts.sites, 10);
    const interval = parseInt(opts.interval, 10);
    const spread = parseFloat(opts.spread || opts.interval) * 1000;
    const share = parseFloat(opts["https-share"] || "0");
    const chunks = Math.max(1, Math.min(sites, Math.round(spread / 1000)));
    const started = Date.now();
    let added = 0;
    for (let c = 0; c < chunks; c++) {
        const wait = started + (c * spread) / chunks - Date.now();
        if (wait > 0) {
            await sleep(wait);
        }
        const monitorList = [];
        for (let i = Math.floor((c * sites) / chunks); i < Math.floor(((c + 1) * sites) / chunks); i++) {
            // The same HTTP/HTTPS pattern as the Xuala side: the first share of every 100.
            const https = (i % 100) < share * 100;
            const port = https ? opts["https-port"] : opts["http-port"];
            monitorList.push({
                type: "keyword",
                name: `s${i}.farm.test`,
                url: `${https ? "https" : "http"}://127.0.0.1:${port}/`,
                method: "GET",
                headers: JSON.stringify({ Host: `s${i}.farm.test` }),
                keyword: KEYWORD,
                invertKeyword: false,
                interval: interval,
                retryInterval: interval,
                resendInterval: 0,
                maxretries: 0,
                timeout: Math.floor(interval * 0.8),
                maxredirects: 10,
                accepted_statuscodes: [ "200-299" ],
                ignoreTls: false,
                upsideDown: false,
                active: 1,
                notificationIDList: {},
                tags: [],
            });
        }
        const backup = { version: "2.0.0", notificationList: [], proxyList: [], monitorList };
        const answer = await emit(socket, "uploadBackup", JSON.stringify(backup), "keep");
        if (!answer.ok) {
            throw new Error(`uploadBackup: ${answer.msg}`);
        }
        added += monitorList.length;
    }
    console.log(JSON.stringify({ added, seconds: (Date.now() - started) / 1000 }));
    socket.close();
}

main().catch((error) => {
    console.error(String(error && error.stack || error));
    process.exit(1);
});
