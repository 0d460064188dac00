// The Couplet playground: two phones over the fake Bot API. Message bodies come from the
// server already rendered by an escaping renderer (fakegram/playground/render.py); every
// other string is set as text, never as HTML.
"use strict";

const phones = [];
let tag = "";

function el(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function post(path, body) {
  const options = body instanceof FormData
    ? { method: "POST", body }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  if (!response.ok) {
    document.getElementById("note").textContent = await response.text();
  }
  return response.ok;
}

function isTelegramLink(url) {
  return /^https:\/\/(t|telegram)\.me\//i.test(url);
}

function makePhone(slot) {
  const node = document.getElementById("phone-template").content.firstElementChild.cloneNode(true);
  node.dataset.slot = String(slot);
  node.dataset.testid = `phone-${slot}`;
  const phone = {
    slot, node, replyTo: null,
    chat: node.querySelector(".chat"),
    text: node.querySelector(".text"),
    name: node.querySelector(".name"),
    menu: node.querySelector(".menu"),
    cities: node.querySelector(".cities"),
    keyboard: node.querySelector(".keyboard"),
    replying: node.querySelector(".replying"),
    rendered: "",
    lists: "",
  };
  node.querySelector(".compose").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = phone.text.value.trim();
    if (!text) return;
    phone.text.value = "";
    const body = { slot, text };
    if (phone.replyTo !== null) body.reply_to = phone.replyTo;
    setReply(phone, null);
    await post("/api/send", body);
  });
  phone.name.addEventListener("change", () => post("/api/name", { slot, name: phone.name.value }));
  node.querySelector(".menu-button").addEventListener("click", () => {
    phone.menu.hidden = !phone.menu.hidden;
    phone.cities.hidden = true;
  });
  node.querySelector(".location-button").addEventListener("click", () => showCities(phone));
  node.querySelector(".cancel-reply").addEventListener("click", () => setReply(phone, null));
  node.querySelector(".photo-input").addEventListener("change", (event) => sendPhoto(phone, event.target));
  phone.chat.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (link && isTelegramLink(link.href)) {
      event.preventDefault();
      post("/api/link", { slot, url: link.href });
    }
    const spoiler = event.target.closest(".spoiler");
    if (spoiler) spoiler.classList.add("shown");
  });
  document.getElementById("phones").appendChild(node);
  return phone;
}

function setReply(phone, message) {
  phone.replyTo = message ? message.id : null;
  phone.replying.hidden = !message;
  if (message) {
    const words = message.node.querySelector(".body").textContent || "📷";
    phone.replying.querySelector(".replying-text").textContent = `Replying to: ${words.slice(0, 60)}`;
    phone.text.focus();
  }
}

function showCities(phone) {
  phone.menu.hidden = true;
  phone.cities.hidden = !phone.cities.hidden;
}

async function sendPhoto(phone, input) {
  const file = input.files && input.files[0];
  input.value = "";
  if (!file) return;
  const size = await new Promise((resolve) => {
    const image = new Image();
    const url = URL.createObjectURL(file);
    image.onload = () => { resolve([image.naturalWidth, image.naturalHeight]); URL.revokeObjectURL(url); };
    image.onerror = () => { resolve([1280, 960]); URL.revokeObjectURL(url); };
    image.src = url;
  });
  const form = new FormData();
  form.append("slot", String(phone.slot));
  form.append("photo", file);
  form.append("width", String(size[0]));
  form.append("height", String(size[1]));
  form.append("caption", phone.text.value.trim());
  phone.text.value = "";
  await post("/api/photo", form);
}

function renderMessage(phone, message) {
  const node = el("div", message.mine ? "msg mine" : "msg bot");
  node.dataset.id = String(message.id);
  if (message.reply) {
    const quote = el("div", "quote");
    quote.appendChild(el("b", "", message.reply.who));
    quote.appendChild(document.createTextNode(message.reply.text));
    node.appendChild(quote);
  }
  if (message.photo) {
    const image = el("img");
    image.src = message.photo;
    image.alt = "photo";
    node.appendChild(image);
  }
  if (message.location) node.appendChild(el("div", "body", `📍 ${message.location}`));
  const body = el("div", "body");
  body.innerHTML = message.html; // rendered and escaped by the server (render.py)
  if (message.html || !message.location) node.appendChild(body);
  if (message.buttons.length) {
    const keyboard = el("div", "inline-keyboard");
    for (const row of message.buttons) {
      const line = el("div", "row");
      for (const button of row) {
        const key = el("button", button.url ? "url" : "", button.text);
        key.type = "button";
        key.addEventListener("click", () => {
          if (button.data !== undefined) {
            post("/api/tap", { slot: phone.slot, message_id: message.id, data: button.data });
          } else if (isTelegramLink(button.url)) {
            post("/api/link", { slot: phone.slot, url: button.url });
          } else {
            window.open(button.url, "_blank", "noopener");
          }
        });
        line.appendChild(key);
      }
      keyboard.appendChild(line);
    }
    node.appendChild(keyboard);
  }
  const meta = el("div", "meta");
  if (message.edited) meta.appendChild(el("span", "edited", "edited"));
  const reply = el("button", "reply-link", "Reply");
  reply.type = "button";
  reply.addEventListener("click", () => setReply(phone, { id: message.id, node }));
  meta.appendChild(reply);
  node.appendChild(meta);
  return node;
}

function renderPhone(phone, state, shared) {
  if (document.activeElement !== phone.name) phone.name.value = state.name;
  phone.node.querySelector(".bot-name").textContent = shared.bot;
  const snapshot = JSON.stringify([state.messages, state.keyboard]);
  if (snapshot !== phone.rendered) {
    phone.rendered = snapshot;
    phone.chat.replaceChildren(...state.messages.map((m) => renderMessage(phone, m)));
    phone.chat.scrollTop = phone.chat.scrollHeight;
    phone.keyboard.replaceChildren();
    for (const row of state.keyboard || []) {
      const line = el("div", "row");
      for (const button of row) {
        const key = el("button", "", button.text);
        key.type = "button";
        key.addEventListener("click", () => button.location
          ? showCities(phone)
          : post("/api/send", { slot: phone.slot, text: button.text }));
        line.appendChild(key);
      }
      phone.keyboard.appendChild(line);
    }
  }
  const lists = JSON.stringify([shared.commands, shared.cities]);
  if (lists === phone.lists) return;
  phone.lists = lists;
  phone.menu.replaceChildren(...shared.commands.map((command) => {
    const item = el("button");
    item.type = "button";
    item.appendChild(el("b", "", `/${command.command}`));
    item.appendChild(document.createTextNode(` ${command.description}`));
    item.addEventListener("click", () => {
      phone.menu.hidden = true;
      post("/api/send", { slot: phone.slot, text: `/${command.command}` });
    });
    return item;
  }));
  phone.cities.replaceChildren(...shared.cities.map((city) => {
    const item = el("button", "", city);
    item.type = "button";
    item.addEventListener("click", () => {
      phone.cities.hidden = true;
      post("/api/location", { slot: phone.slot, city });
    });
    return item;
  }));
}

function render(state) {
  document.getElementById("now").textContent = state.now.replace("T", " ").replace("+00:00", " UTC");
  document.getElementById("note").textContent = state.note;
  state.phones.forEach((phoneState, slot) => renderPhone(phones[slot], phoneState, state));
}

async function poll() {
  for (;;) {
    try {
      const response = await fetch(`/api/state?since=${encodeURIComponent(tag)}`);
      if (response.ok) {
        const state = await response.json();
        tag = state.tag;
        render(state);
        continue;
      }
    } catch (error) {
      document.getElementById("note").textContent = "The playground has stopped.";
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

for (const button of document.querySelectorAll("[data-jump]")) {
  button.addEventListener("click", () => post("/api/time", { jump: button.dataset.jump }));
}
phones.push(makePhone(0), makePhone(1));
poll();
