// The forum's service worker, served at /sw.js by forum/web/app_shell.py, which fills in
// CONFIG. It does three things:
// - keeps the crisis page (each language, rendered for a visitor: no member's page, name or
//   token) and the few static files it needs, so the crisis lines open with no network at all;
// - with no network, answers any page with that crisis page (its note says "you are offline");
// - shows Web Push notifications and opens their link.
// It keeps nothing else: every other request goes to the network and is never stored, so no
// thread, chat, review or account page is ever on the device. Log-out empties every cache.
"use strict";

const CONFIG = {/* filled in by forum/web/app_shell.py */};
const CACHE = "forum-shell-" + CONFIG.version;
// The member's language and country, kept next to the pages (so log-out clears it too).
const STATE_KEY = "/.offline-state";
// The crisis page is fetched again after this long (its lines change with deploys and data).
const CRISIS_MAX_AGE_MS = 6 * 60 * 60 * 1000;
const SHELL = new Set(CONFIG.shell);
const COUNTRY = /^[A-Z]{2}$/;

// Bumped by log-out: a warm-up still running when the member logs out stores nothing more.
let generation = 0;

self.addEventListener("install", () => {
  // Nothing is fetched here: a page that is signed in, or the crisis page, asks for it.
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    if (self.registration.navigationPreload) {
      await self.registration.navigationPreload.enable();
    }
    // A new version: fill its cache the way the old one was filled, then drop the old one.
    // Nothing was kept (a visitor who never opened /crisis, or after log-out): nothing is.
    const state = await previousState();
    if (!state || await warm(state)) { await dropOtherCaches(); }
  })());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (value) => { if (event.ports[0]) { event.ports[0].postMessage(value); } };
  if (data.type === "warm") {
    event.waitUntil(warm({ lang: data.lang, country: data.country }).then(reply, () => reply(false)));
  } else if (data.type === "forget") {
    generation += 1;
    event.waitUntil(dropAllCaches().then(() => reply(true), () => reply(false)));
  }
});

async function dropAllCaches() {
  const names = await caches.keys();
  await Promise.all(names.map((name) => caches.delete(name)));
}

async function dropOtherCaches() {
  const names = await caches.keys();
  await Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name)));
}

async function readState(cache) {
  const response = await cache.match(STATE_KEY);
  if (!response) { return null; }
  try { return await response.json(); } catch (e) { return null; }
}

async function previousState() {
  for (const name of await caches.keys()) {
    if (name === CACHE) { continue; }
    const state = await readState(await caches.open(name));
    if (state) { return state; }
  }
  return null;
}

function crisisUrl(lang, country) {
  const url = new URL(CONFIG.crisis[lang], self.location.origin);
  if (country) { url.searchParams.set("country", country); }
  return url.href;
}

// Fetch what is missing or stale into this version's cache. Without cookies: the pages kept
// are what a visitor sees, and the member's session, tokens and flash messages stay out.
async function warm(wanted) {
  const started = generation;
  const cache = await caches.open(CACHE);
  const state = (await readState(cache)) || {};
  const lang = CONFIG.languages.includes(wanted.lang) ? wanted.lang : (state.lang || "");
  const country = COUNTRY.test(wanted.country || "") ? wanted.country : (state.country || "");
  const crisisStale = country !== (state.country || "") || !state.at
    || Date.now() - state.at > CRISIS_MAX_AGE_MS;
  const jobs = [];
  for (const path of CONFIG.shell) {
    if (!(await cache.match(path))) { jobs.push([path, path, "no-cache"]); }
  }
  for (const code of CONFIG.languages) {
    if (crisisStale || !(await cache.match(CONFIG.crisis[code], { ignoreVary: true }))) {
      jobs.push([CONFIG.crisis[code], crisisUrl(code, country), "no-store"]);
    }
  }
  try {
    const fetched = await Promise.all(jobs.map(async ([key, url, mode]) => {
      const response = await fetch(url, { credentials: "omit", cache: mode, redirect: "error" });
      if (!response.ok) { throw new Error("not kept: " + response.status); }
      return [key, response];
    }));
    if (generation !== started) { return false; }
    await Promise.all(fetched.map(([key, response]) => cache.put(key, response)));
    const at = jobs.some(([key]) => !SHELL.has(key)) ? Date.now() : state.at;
    await cache.put(STATE_KEY, new Response(JSON.stringify({ lang, country, at }),
      { headers: { "Content-Type": "application/json" } }));
  } catch (e) {
    return false;  // offline or the server is away: keep what there is
  }
  if (generation !== started) {
    await dropAllCaches();  // a log-out came while storing
    return false;
  }
  await dropOtherCaches();
  return true;
}

// The crisis page for this request: ?lang= of a /crisis address, the member's language, the
// browser's, else the first kept.
async function cachedCrisisPage(url) {
  const state = (await readStateAnywhere()) || {};
  const wanted = [];
  if (url.pathname === new URL(CONFIG.crisis[CONFIG.languages[0]], url).pathname) {
    wanted.push(url.searchParams.get("lang"));
  }
  wanted.push(state.lang);
  for (const language of self.navigator.languages || []) { wanted.push(language.split("-")[0]); }
  wanted.push(...CONFIG.languages);
  for (const code of wanted) {
    if (!CONFIG.languages.includes(code)) { continue; }
    const response = await caches.match(CONFIG.crisis[code], { ignoreVary: true });
    if (response) { return response; }
  }
  return null;
}

async function readStateAnywhere() {
  const own = await readState(await caches.open(CACHE));
  return own || previousState();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    // Every page from the network, never stored; with no network, the crisis page.
    event.respondWith((async () => {
      try {
        const preloaded = await event.preloadResponse;
        return preloaded || await fetch(request);
      } catch (e) {
        return (await cachedCrisisPage(url)) || Response.error();
      }
    })());
  } else if (SHELL.has(url.pathname) && !url.search) {
    event.respondWith(fetch(request).catch(async () => {
      return (await caches.match(url.pathname, { ignoreVary: true })) || Response.error();
    }));
  }
  // Anything else: the browser fetches it as if there were no worker.
});

// A push (payload from forum/services/push_*.py): {title, body, url, tag, withdraw}. It never
// holds a member's words or name.
function sameSitePath(value) {
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//")
      || value.startsWith("/\\")) {
    return "/";
  }
  const url = new URL(value, self.location.origin);
  return url.origin === self.location.origin ? url.pathname + url.search + url.hash : "/";
}

function pushPayload(event) {
  try {
    const data = event.data ? event.data.json() : {};
    return data && typeof data === "object" ? data : {};
  } catch (e) {
    return {};
  }
}

self.addEventListener("push", (event) => {
  const data = pushPayload(event);
  const title = typeof data.title === "string" && data.title ? data.title : "Peer Support Forum";
  const tag = typeof data.tag === "string" && data.tag ? data.tag : undefined;
  const options = {
    body: typeof data.body === "string" ? data.body : "",
    tag,
    icon: CONFIG.icon,
    data: { url: sameSitePath(data.url) },
  };
  if (data.withdraw && tag) {
    // The browser wants every push to show something: a quiet replacement under the same tag,
    // then every notification with that tag closes (someone else answered).
    event.waitUntil((async () => {
      await self.registration.showNotification(title, { ...options, silent: true });
      const shown = await self.registration.getNotifications({ tag });
      shown.forEach((notification) => notification.close());
    })());
    return;
  }
  event.waitUntil(self.registration.showNotification(title, { ...options, renotify: !!tag }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = sameSitePath((event.notification.data || {}).url);
  const target = new URL(path, self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === target);
    if (open) { return open.focus(); }
    return self.clients.openWindow(target);
  })());
});
