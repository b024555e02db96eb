// The screens' own words in the checkout's languages; everything the lane
// says comes from the checkout already in the shopper's language.
const en = {
  title: "Checkout", saysTitle: "The lane says", which: "Which is it?", onScale: "On the scale",
  basket: "Basket", empty: "The basket is empty.", item: "Item", weight: "Weight", price: "Price",
  removed: "Removed", total: "Total", actions: "What you can do", pay: "Pay",
  sayTotal: "Say the total", repeat: "Repeat", voidLast: "Remove the last item",
  cancel: "Cancel the basket", receipt: "Receipt", history: "Everything the lane said",
  confirmPay: "Pay now?", confirmPayText: "You will pay {total}.", yesPay: "Yes, pay",
  confirmCancel: "Cancel the basket?", confirmCancelText: "Every item is taken off the bill.",
  yesCancel: "Yes, cancel it", no: "No, go back", connected: "Connected",
  reconnecting: "Connection lost: reconnecting…", none: "None of these", groupChoice: "I don't know which {group}", nothing: "Nothing on the scale", each: "each", barcode: "Barcode {code}", label: "{label} on its label, {scale} on the scale",
  stepPlace: "Place an item on the scale.", stepQuestion: "Choose which item is on the scale.",
  stepNextOrPay: "Place the next item, or pay.", looking: "Looking at the item…", rungUpAs: "Rung up as {name}",
  paying: "Paying…", notPaid: "Not paid: {reason}", payHow: "Choose “Yes, pay”, or press Enter twice on the keypad.",
  payQuestionOpen: "The item on the scale is not in the total yet: answer its question first.",
  totalChanged: "The total changed: you will pay {total}.", checkoutDown: "Checkout not answering",
  checkoutDownNotice: "Please wait, the checkout is starting again.", paidAmount: "Paid", change: "Change",
  receiptCaption: "Receipt {basket}, {time}",
};
export const strings = {
  "en-US": en, "en-GB": en, "en-AU": en,
  "de-DE": {
    title: "Kasse", saysTitle: "Die Kasse sagt", which: "Was ist es?", onScale: "Auf der Waage",
    basket: "Warenkorb", empty: "Der Warenkorb ist leer.", item: "Artikel", weight: "Gewicht",
    price: "Preis", removed: "Entfernt", total: "Summe", actions: "Was Sie tun können",
    pay: "Bezahlen", sayTotal: "Summe ansagen", repeat: "Wiederholen",
    voidLast: "Letzten Artikel entfernen", cancel: "Einkauf abbrechen", receipt: "Beleg",
    history: "Alles, was die Kasse gesagt hat", confirmPay: "Jetzt bezahlen?",
    confirmPayText: "Sie bezahlen {total}.", yesPay: "Ja, bezahlen",
    confirmCancel: "Einkauf abbrechen?", confirmCancelText: "Alle Artikel werden entfernt.",
    yesCancel: "Ja, abbrechen", no: "Nein, zurück", connected: "Verbunden",
    reconnecting: "Verbindung unterbrochen: verbinde neu…", none: "Nichts davon",
    groupChoice: "Ich weiß nicht, welche Sorte {group}",
    nothing: "Nichts auf der Waage", each: "pro Stück", barcode: "Strichcode {code}", label: "{label} laut Etikett, {scale} auf der Waage",
    stepPlace: "Legen Sie einen Artikel auf die Waage.", stepQuestion: "Wählen Sie, was auf der Waage liegt.",
    stepNextOrPay: "Legen Sie den nächsten Artikel auf, oder bezahlen Sie.", looking: "Der Artikel wird erkannt…",
    rungUpAs: "Erfasst als {name}", paying: "Bezahlung läuft…", notPaid: "Nicht bezahlt: {reason}",
    payHow: "Wählen Sie „Ja, bezahlen“, oder drücken Sie zweimal Enter auf dem Tastenfeld.",
    payQuestionOpen: "Der Artikel auf der Waage ist noch nicht in der Summe: beantworten Sie zuerst die Frage.",
    totalChanged: "Die Summe hat sich geändert: Sie bezahlen {total}.", checkoutDown: "Kasse antwortet nicht",
    checkoutDownNotice: "Bitte warten, die Kasse startet neu.", paidAmount: "Bezahlt", change: "Rückgeld",
    receiptCaption: "Beleg {basket}, {time}",
  },
  "fr-FR": {
    title: "Caisse", saysTitle: "La caisse dit", which: "Qu'est-ce que c'est ?",
    onScale: "Sur la balance", basket: "Panier", empty: "Le panier est vide.", item: "Article",
    weight: "Poids", price: "Prix", removed: "Retiré", total: "Total",
    actions: "Ce que vous pouvez faire", pay: "Payer", sayTotal: "Dire le total",
    repeat: "Répéter", voidLast: "Retirer le dernier article", cancel: "Annuler le panier",
    receipt: "Ticket", history: "Tout ce que la caisse a dit", confirmPay: "Payer maintenant ?",
    confirmPayText: "Vous allez payer {total}.", yesPay: "Oui, payer",
    confirmCancel: "Annuler le panier ?", confirmCancelText: "Tous les articles sont retirés.",
    yesCancel: "Oui, annuler", no: "Non, retour", connected: "Connecté",
    reconnecting: "Connexion perdue : reconnexion…", none: "Aucun de ceux-ci",
    groupChoice: "Je ne sais pas quel {group}",
    nothing: "Rien sur la balance", each: "l'unité", barcode: "Code-barres {code}", label: "{label} selon l'étiquette, {scale} sur la balance",
    stepPlace: "Posez un article sur la balance.", stepQuestion: "Choisissez l'article posé sur la balance.",
    stepNextOrPay: "Posez l'article suivant, ou payez.", looking: "Reconnaissance de l'article…",
    rungUpAs: "Enregistré : {name}", paying: "Paiement en cours…", notPaid: "Non payé : {reason}",
    payHow: "Choisissez « Oui, payer », ou appuyez deux fois sur Entrée du clavier.",
    payQuestionOpen: "L'article sur la balance n'est pas encore dans le total : répondez d'abord à la question.",
    totalChanged: "Le total a changé : vous allez payer {total}.", checkoutDown: "La caisse ne répond pas",
    checkoutDownNotice: "Veuillez patienter, la caisse redémarre.", paidAmount: "Payé", change: "Rendu",
    receiptCaption: "Ticket {basket}, {time}",
  },
  "es-ES": {
    title: "Caja", saysTitle: "La caja dice", which: "¿Qué es?", onScale: "En la báscula",
    basket: "Cesta", empty: "La cesta está vacía.", item: "Artículo", weight: "Peso",
    price: "Precio", removed: "Quitado", total: "Total", actions: "Lo que puede hacer",
    pay: "Pagar", sayTotal: "Decir el total", repeat: "Repetir",
    voidLast: "Quitar el último artículo", cancel: "Cancelar la cesta", receipt: "Recibo",
    history: "Todo lo que dijo la caja", confirmPay: "¿Pagar ahora?",
    confirmPayText: "Va a pagar {total}.", yesPay: "Sí, pagar",
    confirmCancel: "¿Cancelar la cesta?", confirmCancelText: "Se quitan todos los artículos.",
    yesCancel: "Sí, cancelar", no: "No, volver", connected: "Conectado",
    reconnecting: "Conexión perdida: reconectando…", none: "Ninguno de estos",
    groupChoice: "No sé qué {group}",
    nothing: "Nada en la báscula", each: "la unidad", barcode: "Código de barras {code}", label: "{label} según la etiqueta, {scale} en la báscula",
    stepPlace: "Ponga un artículo en la báscula.", stepQuestion: "Elija qué artículo está en la báscula.",
    stepNextOrPay: "Ponga el siguiente artículo, o pague.", looking: "Reconociendo el artículo…",
    rungUpAs: "Registrado como {name}", paying: "Pagando…", notPaid: "No pagado: {reason}",
    payHow: "Elija «Sí, pagar», o pulse Intro dos veces en el teclado.",
    payQuestionOpen: "El artículo de la báscula aún no está en el total: responda primero a la pregunta.",
    totalChanged: "El total ha cambiado: va a pagar {total}.", checkoutDown: "La caja no responde",
    checkoutDownNotice: "Espere, la caja se está reiniciando.", paidAmount: "Pagado", change: "Cambio",
    receiptCaption: "Recibo {basket}, {time}",
  },
  "zh-CN": {
    title: "收银台", saysTitle: "收银台说", which: "这是哪一种？", onScale: "秤上",
    basket: "购物篮", empty: "购物篮是空的。", item: "商品", weight: "重量", price: "价格",
    removed: "已移除", total: "总计", actions: "您可以", pay: "付款", sayTotal: "播报总计",
    repeat: "重复", voidLast: "移除最后一件", cancel: "取消购物篮", receipt: "收据",
    history: "收银台说过的话", confirmPay: "现在付款吗？", confirmPayText: "您将支付 {total}。",
    yesPay: "是，付款", confirmCancel: "取消购物篮吗？", confirmCancelText: "所有商品都将移除。",
    yesCancel: "是，取消", no: "不，返回", connected: "已连接", reconnecting: "连接中断：正在重连…",
    none: "都不是", groupChoice: "我不知道是哪种{group}",
    nothing: "秤上没有东西", each: "每件", barcode: "条形码 {code}", label: "标签 {label}，秤上 {scale}",
    stepPlace: "请把商品放在秤上。", stepQuestion: "请选择秤上的商品。", stepNextOrPay: "请放下一件商品，或付款。",
    looking: "正在识别商品…", rungUpAs: "已登记为 {name}", paying: "正在付款…", notPaid: "未付款：{reason}",
    payHow: "请选择“是，付款”，或在键盘上按两次回车键。",
    payQuestionOpen: "秤上的商品尚未计入总计：请先回答问题。", totalChanged: "总计已变更：您将支付 {total}。",
    checkoutDown: "收银台无响应", checkoutDownNotice: "请稍候，收银台正在重新启动。", paidAmount: "已付", change: "找零",
    receiptCaption: "收据 {basket}，{time}",
  },
  "ko-KR": {
    title: "계산대", saysTitle: "계산대 안내", which: "어느 것입니까?", onScale: "저울 위",
    basket: "장바구니", empty: "장바구니가 비어 있습니다.", item: "상품", weight: "무게",
    price: "가격", removed: "취소됨", total: "합계", actions: "할 수 있는 일", pay: "결제",
    sayTotal: "합계 듣기", repeat: "다시 듣기", voidLast: "마지막 상품 빼기",
    cancel: "장바구니 취소", receipt: "영수증", history: "계산대가 말한 모든 것",
    confirmPay: "지금 결제할까요?", confirmPayText: "{total}을 결제합니다.", yesPay: "예, 결제",
    confirmCancel: "장바구니를 취소할까요?", confirmCancelText: "모든 상품이 빠집니다.",
    yesCancel: "예, 취소", no: "아니요, 돌아가기", connected: "연결됨",
    reconnecting: "연결이 끊겼습니다: 다시 연결 중…", none: "해당 없음",
    groupChoice: "어떤 {group}인지 모릅니다",
    nothing: "저울이 비어 있습니다", each: "개당", barcode: "바코드 {code}", label: "라벨 {label}, 저울 {scale}",
    stepPlace: "상품을 저울에 올려 주세요.", stepQuestion: "저울 위 상품을 골라 주세요.",
    stepNextOrPay: "다음 상품을 올리거나 결제하세요.", looking: "상품을 확인하는 중…", rungUpAs: "{name}(으)로 등록됨",
    paying: "결제 중…", notPaid: "결제되지 않음: {reason}", payHow: "\"예, 결제\"를 고르거나 키패드에서 Enter를 두 번 누르세요.",
    payQuestionOpen: "저울 위 상품은 아직 합계에 없습니다: 먼저 질문에 답해 주세요.",
    totalChanged: "합계가 바뀌었습니다: {total}을 결제합니다.", checkoutDown: "계산대 응답 없음",
    checkoutDownNotice: "잠시 기다려 주세요. 계산대가 다시 시작됩니다.", paidAmount: "결제 금액", change: "거스름돈",
    receiptCaption: "영수증 {basket}, {time}",
  },
};

export function words(locale) {
  return strings[locale] || strings[(locale || "").slice(0, 2) === "en" ? "en-US" : "en-US"];
}

export function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in values ? values[k] : ""));
}

export function money(minor, currency, minorUnits, locale) {
  const value = minor / Math.pow(10, minorUnits ?? 2);
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency || "USD" }).format(value);
  } catch {
    return value.toFixed(minorUnits ?? 2) + " " + (currency || "");
  }
}

export function kilograms(grams, locale) {
  return new Intl.NumberFormat(locale, { style: "unit", unit: "kilogram", minimumFractionDigits: 3,
    maximumFractionDigits: 3 }).format(grams / 1000);
}
