// A question before anything that cannot be taken back (issue 13: 释放, 确认认购, 开盘, 结束 were one tap
// each). A real modal <dialog>: focus moves into it and returns afterwards, Escape cancels, the page
// behind is inert. The question names what will happen; "cancel" has the focus, so a second tap
// or Enter by habit does nothing.
import { h } from "./dom";
import { t } from "./i18n";

let open = 0;

export interface Question {
	/** The question itself, naming the thing acted on: "确认认购 1号楼 1502（买家 b0006）？" */
	text: string;
	/** What happens next, in a sentence (optional). */
	detail?: string;
	/** The label of the button that does it ("确认认购", "开盘"): the same words as the button pressed. */
	action: string;
	/** A red button for what destroys or ends something. */
	danger?: boolean;
}

/** Asks; resolves true only when the person pressed the action button. */
export function confirmAction(q: Question): Promise<boolean> {
	open += 1;
	const id = `confirm-${open}`;
	const cancel = h("button", { type: "button", text: t("cancel") });
	const go = h("button", { type: "button", class: q.danger ? "primary danger" : "primary", text: q.action });
	const dialog = h(
		"dialog",
		{ class: "confirm", "aria-labelledby": `${id}-q`, ...(q.detail ? { "aria-describedby": `${id}-d` } : {}) },
		h("p", { id: `${id}-q`, class: "question", text: q.text }),
		q.detail ? h("p", { id: `${id}-d`, class: "muted", text: q.detail }) : null,
		h("div", { class: "row actions" }, cancel, go),
	);
	const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
	document.body.append(dialog);
	return new Promise((resolve) => {
		let answer = false;
		cancel.addEventListener("click", () => dialog.close());
		go.addEventListener("click", () => {
			answer = true;
			dialog.close();
		});
		dialog.addEventListener("close", () => {
			dialog.remove();
			if (returnTo?.isConnected) returnTo.focus();
			resolve(answer);
		});
		dialog.showModal();
		cancel.focus();
	});
}
