// /hub – the user's home page is the hub's front door.
import { redirect } from "next/navigation";

export const dynamic = "force-dynamic";

export default function IndexPage() {
  redirect("/home");
}
